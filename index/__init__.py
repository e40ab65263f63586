"""The qabot engine: ingest, chunk, embed, store, retrieve and answer. Knows nothing about Discord."""

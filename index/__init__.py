"""The qabot engine: ingest, chunk, embed, store, retrieve, answer. Knows nothing of Discord."""

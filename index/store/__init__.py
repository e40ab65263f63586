"""The index on disk: a plain folder per build, swapped in by rewriting one pointer file.

    index_dir/CURRENT          name of the live build folder (replaced atomically)
    index_dir/build-*/         manifest.json, vectors.faiss (chunks), sentences.npy (their
                               sentences), chunks.sqlite (chunks, citations and each
                               document's text), bm25/

Each chunk row keeps the key of what was embedded for it (embedding_key): the model's sha256, the
embedded text and the sentence spans pooled. A later build looks its new chunks' keys up in one
batched query and copies the vectors of every key it finds, whatever file they came from.

A build is written to a new folder and only then named in CURRENT, so a crash mid-build leaves the
previous index serving. Loading checks the manifest and every file's checksum: a damaged index
gives IndexCorrupt with a clear message, never wrong answers.
"""

from index.store.layout import FORMAT_VERSION, live_folder, read_manifest
from index.store.read import StoredIndex, check_model, load_index, read_index
from index.store.vectors import StoredSentences
from index.store.write import write_build

__all__ = [
    "FORMAT_VERSION",
    "StoredIndex",
    "StoredSentences",
    "check_model",
    "live_folder",
    "load_index",
    "read_index",
    "read_manifest",
    "write_build",
]

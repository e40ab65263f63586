"""The qabot engine: ingest, chunk, embed, store, retrieve, answer. Knows nothing of Discord."""

import os

# torch's and faiss's OpenMP runtime (libgomp) reads its wait policy once, when it is loaded, so
# this runs before either is imported. By default its idle threads spin for milliseconds; when
# anything else keeps the cores busy (a /reindex in the same process, another program), the
# spinning starves the threads doing work and one question took 500 ms instead of 15 ms
# (benchmarks/probes.py contention). Passive threads sleep instead. A user's own setting wins.
if not {"OMP_WAIT_POLICY", "GOMP_SPINCOUNT"} & os.environ.keys():
    os.environ["OMP_WAIT_POLICY"] = "PASSIVE"

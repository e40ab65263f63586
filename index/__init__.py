"""The qabot engine: ingest, chunk, embed, store, retrieve, answer. Knows nothing of Discord."""

import os

# torch's and faiss's OpenMP runtime (libgomp) reads how long idle threads spin once, when it is
# loaded, so this runs before either is imported. Its default (300,000 spins) starves the busy
# threads when another program keeps the cores busy: answers' p95 went from 15 to 120-520 ms.
# 10,000 spins kept idle latency unchanged and p95 at 35-58 ms under that load; passive waiting
# did about as well under load but cost 1-1.4 ms on every idle answer (benchmarks/ contention).
# A user's own OpenMP setting wins.
if not {"OMP_WAIT_POLICY", "GOMP_SPINCOUNT"} & os.environ.keys():
    os.environ["GOMP_SPINCOUNT"] = "10000"

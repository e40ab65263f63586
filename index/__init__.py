"""The qabot engine: ingest, chunk, embed, store, retrieve, answer. Knows nothing of Discord."""

import os

# torch's and faiss's OpenMP runtime (libgomp) reads how long idle threads spin once, when it is
# loaded, so this runs before either is imported. Its default (300,000 spins) starves the busy
# threads when another program keeps the cores busy: answers' p95 went from 15 to 130-520 ms.
# 10,000 spins kept idle latency unchanged and p95 at 35-54 ms under that load; passive waiting
# did as well under load but cost 1 ms on every idle answer (benchmarks/probes.py contention).
# A user's own OpenMP setting wins.
if not {"OMP_WAIT_POLICY", "GOMP_SPINCOUNT"} & os.environ.keys():
    os.environ["GOMP_SPINCOUNT"] = "10000"

"""Suite-wide settings: one intra-op thread per process.

The suite runs many small models and subprocesses (recipe jobs, torchrun ranks) on 2 cores; several
processes each spinning up a thread pool oversubscribe the cores and run many times slower.
"""

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # inherited by every subprocess the tests start

import torch  # noqa: E402

torch.set_num_threads(1)

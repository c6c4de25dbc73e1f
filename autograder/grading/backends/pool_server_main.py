"""The program the worker pool's fork server runs: a module only to be imported by it.

multiprocessing's fork server can only be told modules to import (backends/local.py,
PRELOAD); importing this one is its start-up, as running a `__main__` is a script's.
Like every `*_main` module it acts when imported, and nothing else imports it.

1. `skip_unused_format_check()` before jsonschema is first imported (1.3 s of CPU);
2. everything a worker needs (nbgrader, nbconvert, SQLAlchemy, jupyter_client) is
   imported once, and the nbgrader patches installed, so every worker is a fork of it;
3. `gc.freeze()` last. The million objects those imports made live as long as the
   server and every worker forked from it; frozen, a worker's collections scan only
   what grading creates, and do not write to (and so copy) the pages it shares with
   the server, and the server, which outlives the grading run until it notices that
   its parent has gone, exits without collecting that heap (0.2-0.3 s of CPU, measured).
"""

import gc

from autograder.nbgrader import patches

patches.skip_unused_format_check()

import autograder.grading.job  # noqa: E402,F401  (what a worker runs, and all it imports)
import autograder.runtime.execution  # noqa: E402,F401  (nbgrader's Execute step, by name)

patches.install()
gc.freeze()

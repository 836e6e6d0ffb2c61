"""The console script `accord`: the command line, started as a short-lived process should be.

A command lives for well under a second, and nearly everything it allocates while importing
(modules, classes, mapped tables, compiled statements) lives as long as the process. The
cyclic garbage collector would walk those objects over and over while they are made, and
once more at exit, freeing nothing: that was a quarter of a read command's CPU
(bench/cli_start.py). So collection waits until the imports are done, and then the objects
they made are frozen out of every later collection; what the command itself allocates is
collected as usual.
"""

from __future__ import annotations

import gc
import sys


def run() -> None:
    """Import the command line with collection paused, freeze what it made, then run it."""
    gc.disable()
    try:
        from cli.main import main
    finally:
        gc.freeze()
        gc.enable()
    sys.exit(main())

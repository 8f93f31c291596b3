"""The ``gpu-stress`` command line.

Every error that is the user's to fix (bad input, a damaged results directory,
an unwritable output, a directory another run is writing) is one line on
stderr naming the field, option or file, with exit code 2. Anything else is a
bug: one line too, exit code 1, and ``--debug`` (or ``GPU_STRESS_DEBUG=1``)
shows the traceback for a bug report.
"""

from . import about, analysis, results, run  # noqa: F401 (their commands register on main)
from .main import main

__all__ = ["main"]

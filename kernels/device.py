"""The one decorator for model code that runs on every target.

``register_jitable`` makes a plain Python function callable from code that
numba compiles for the CPU (``numba.njit``) and for CUDA (``numba.cuda.jit``):
each target compiles it on first use, so the model is written exactly once.
Under the CUDA simulator the function stays plain Python, which is what lets
CI step through the GPU launch path on a machine with no GPU.

Inlining is left to LLVM on the CPU (``kernels.cpu`` raises its inline
threshold, so the model's functions and the random numbers inline into their
callers and the loops of the draws vectorize) and to NVVM on CUDA. Not to
numba's IR inliner: numba types a function again for every function inlined
into it, which made the first compilation of the path kernel take over 190 s
instead of about 35 s for no more speed than LLVM's inlining gives.
"""

import hashlib
from pathlib import Path

from numba.extending import register_jitable


def device_function(function):
    """Make ``function`` callable from CPU and CUDA kernels; returns it unchanged."""
    register_jitable(function)  # every target (CUDA included), as a called function
    return function


@register_jitable
def is_float64(dtype):
    """True for float64: 2**24 + 1 is the first integer float32 cannot hold.

    The comparison happens in ``dtype`` itself and folds at compile time, so a
    float32 kernel that branches on it contains no float64 instruction.
    """
    return dtype(16777217.0) != dtype(16777216.0)


def _source_digest():
    """sha256 of every module of this package.

    numba's on-disk cache keys a function on its own file only; launchers close
    over this digest so that an edit anywhere in the model recompiles them.
    """
    digest = hashlib.sha256()
    for module in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(module.name.encode())
        digest.update(module.read_bytes())
    return digest.hexdigest()


SOURCE_DIGEST = _source_digest()

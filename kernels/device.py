"""The one decorator for model code that runs on every target.

``register_jitable`` makes a plain Python function callable from code that
numba compiles for the CPU (``numba.njit``) and for CUDA (``numba.cuda.jit``):
each target compiles it on first use, so the model is written exactly once.
Under the CUDA simulator the function stays plain Python, which is what lets
CI step through the GPU launch path on a machine with no GPU.

On the CPU, functions marked ``inline=True`` are also inlined at numba's IR
level. Only the random-number primitives are (``rng``): inlined into the loops
of ``draws._fill_block`` they let LLVM run those loops over months in vector
lanes. The model's functions are not: numba types a function again for every
function inlined into it. Inlining all of them made the first compilation
nearly four times as long (192 s against 51 s on a 2-core EPYC, with the
earlier parfor launcher) for 27 % more speed; inlining only the small leaf
functions of the firm step added 7 s (of 31 s) for 7 %. CUDA
leaves inlining to NVVM (numba-cuda's IR inliner mistypes module-level
constants).
"""

import hashlib
from pathlib import Path

from numba.extending import overload, register_jitable


def device_function(function=None, *, inline=False):
    """Make ``function`` callable from CPU and CUDA kernels; returns it unchanged.

    ``inline=True`` also inlines it into its CPU callers (for small, hot functions).
    """
    if function is None:
        return lambda function: device_function(function, inline=inline)
    register_jitable(function)  # every target (CUDA included), as a called function
    if inline:
        overload(function, target="cpu", inline="always", strict=False)(lambda *args, **kwargs: function)
    return function


@register_jitable  # not inlined: numba's IR inliner mistypes its dtype(...) constants
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

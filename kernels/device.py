"""The one decorator for model code that runs on every target.

``register_jitable`` makes a plain Python function callable from code that
numba compiles for the CPU (``numba.njit``) and for CUDA (``numba.cuda.jit``):
each target compiles it on first use, so the model is written exactly once.
Under the CUDA simulator the function stays plain Python, which is what lets
CI step through the GPU launch path on a machine with no GPU.
"""

import hashlib
from pathlib import Path

from numba.extending import register_jitable

device_function = register_jitable


@device_function
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

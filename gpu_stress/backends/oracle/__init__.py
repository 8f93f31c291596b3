"""The oracle: the model as array code, one month at a time over all paths (numpy or CuPy).

Its modules and functions carry the names of ``gpu_stress.kernels``' (``market``,
``fleet``, ``contracts``, ``support``, ``operations``, ``debt_service``, ``capital``,
``covenants``, ``firm``, ``path``, ``portfolio``; ``rng`` and ``draws`` for the
random numbers), in the kernels' order, with the kernels' local names where the
maths is the same, so that a reviewer can hold each function against its kernel.
It is written independently of the kernels (whole arrays, masks instead of early
exits) and shares only the array layout and the random-number contract.

Two uses, one implementation:

- with numpy and the Philox draws of ``draws.philox_draws`` it is the **numpy
  backend**, the oracle the compiled kernels are checked against;
- with a library generator (NumPy's, or CuPy's on a GPU; ``draws.library_draws``)
  it is the **naive baseline** of the benchmarks: the model as a user would write
  it in array code.

A month's sub-steps read and write the firm's state on every path (``FirmArrays``,
paths first) and the month's working values (``firm.Month``): what the kernels
keep in locals and in the state vector. docs/model.md states the model both follow.
"""

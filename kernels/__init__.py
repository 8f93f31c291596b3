"""Device code of gpu-stress, written once and compiled by numba for CPU and CUDA.

- ``rng``: Philox4x32-10 counter-based random numbers, uniforms, normals (polynomial log, sin-cos).
- ``draws``: a path's draws, months at a time, into the array the model reads.
- ``draws_only``: the same draws with no model, the roofline of the path kernel (benchmarks).
- ``market``: one month of the market (regime, GPU rental price, utilization, short rate).
- ``firm``: one month of the firm as a list of named sub-steps, each in the module of its concern:
  ``fleet`` (cohorts, deliveries, collateral value), ``contracts`` (backlog, renewals, fixed charges),
  ``support`` (backstop, vendor), ``operations`` (utilization, EBITDA), ``debt_service`` (interest,
  principal, refinancing), ``capital`` (pools, reserves, equity, prepayments, the waterfall),
  ``covenants`` (liquidity, LTV, DSCR).
- ``portfolio``: firms in one market, with fire sales that depress the resale value of GPUs.
- ``path``: the monthly loop of one path, writing its outputs.
- ``cpu`` / ``cuda``: thin launchers (ranges of paths on a thread pool; one thread per path).
- ``layout``: indices of the flat parameter, state and output arrays.

Installed as ``gpu_stress.kernels`` (PyPI already has a ``kernels`` package).
"""

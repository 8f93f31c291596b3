"""First-passage probabilities of a Brownian motion with drift: the Black-Cox default probability.

A firm defaults when X_t = ln(asset value / its planned path) first falls to a barrier
b < 0, X a Brownian motion with drift nu and volatility s per year, X_0 = 0. The tests
validate ``sensitivity`` and ``reverse`` on a configuration that is exactly this model
(``tests/test_sensitivity.py``): GBM prices, collateral valued at (P / planned P), an LTV
covenant tested every month.

Continuous monitoring over T years (Black and Cox, 1976; the reflection principle):

    P(min_{t<=T} X_t <= b) = Phi((b - nu T) / (s sqrt T)) + exp(2 nu b / s^2) Phi((b + nu T) / (s sqrt T))

Monthly monitoring (the model tests at months 1..m only) defaults less often. Broadie,
Glasserman and Kou (1997) shift the barrier by -beta s sqrt(dt), beta = -zeta(1/2) /
sqrt(2 pi) = 0.5826, an O(dt) error; :func:`discrete_probability` computes the
discrete-monitoring probability itself by the recursion on the density of the surviving
paths,

    f_1(x) = phi_dt(x),   f_{k+1}(x) = integral over y > b of f_k(y) phi_dt(x - y) dy,
    P(default by month m) = 1 - integral over x > b of f_m(x) dx,

with phi_dt the N(nu dt, s^2 dt) density, on a grid of spacing s sqrt(dt) / 40 (the
trapezoid rule; the integrand is smooth on [b, inf), so the error is O(h^2), below 1e-5).
"""

import math

import numpy as np

BGK_BETA = 0.5825971579390106  # -zeta(1/2) / sqrt(2 pi)


def normal_cdf(x):
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def continuous_probability(barrier, drift, volatility, years):
    """P(min over [0, T] of X <= b) for X_t = drift t + volatility W_t, b = ``barrier`` < 0."""
    spread = volatility * math.sqrt(years)
    first = normal_cdf((barrier - drift * years) / spread)
    return first + math.exp(2.0 * drift * barrier / volatility**2) * normal_cdf((barrier + drift * years) / spread)


def bgk_probability(barrier, drift, volatility, years, steps):
    """The continuous formula at the barrier shifted by -0.5826 s sqrt(dt): ``steps`` monitoring dates (BGK)."""
    return continuous_probability(barrier - BGK_BETA * volatility * math.sqrt(years / steps), drift, volatility, years)


def discrete_probability(barrier, drift, volatility, years, steps, points_per_sd=40, width_sd=10.0):
    """P(X_{k dt} <= b for some k = 1..steps), dt = years / steps, by the density recursion (module docstring)."""
    dt = years / steps
    sd = volatility * math.sqrt(dt)
    h = sd / points_per_sd
    top = max(0.0, drift * years) + width_sd * volatility * math.sqrt(years)
    x = barrier + h * np.arange(int((top - barrier) / h) + 1)
    weights = np.full(x.size, h)
    weights[0] = weights[-1] = h / 2

    def kernel(step):
        return np.exp(-0.5 * ((step - drift * dt) / sd) ** 2) / (sd * math.sqrt(2.0 * math.pi))

    density = kernel(x)  # of X_1, on x > b
    transition = kernel(h * np.arange(-x.size + 1, x.size))  # phi_dt at every grid difference x_i - x_j
    for _ in range(steps - 1):
        density = np.convolve(transition, weights * density)[x.size - 1 : 2 * x.size - 1]
    return 1.0 - float(np.sum(weights * density))

"""Named obligors: one default time per obligor and path, in the market's month, seen by every firm naming it.

An obligor alive at the start of month t defaults in it if its uniform u_t is below

    p_t = h_r                                                  (no loading), or
    p_t = Phi((Phi^-1(h_r) - sqrt(rho) Z_t) / sqrt(1 - rho))   (loading rho on the common credit factor),

with h_r its monthly hazard in the month's regime r and Z_t ~ N(0, 1) the month's common credit
factor: a one-factor Gaussian copula (Vasicek 1987) month by month, so E[p_t] = h_r and two obligors
with loadings rho_1, rho_2 have a latent correlation sqrt(rho_1 rho_2). The uniforms and the factor
are the market's draws (``draws.fill_market_draws``) and the step is the market's (``path.market_month``),
so every firm of a portfolio sees one default month per obligor: a bit of ``defaulted`` per obligor.

Wrong-way risk: an obligor's default moves the market in its month with probability q (its
OBLIGOR_IMPACT_PROBABILITY): ln P gains ln(1 - cut) (every generation's rental price, and with it the
resale value of every GPU, since collateral is valued on ln P against the planned path), and the
market turns to glut if the obligor's glut switch is set. Whether it does is decided by the
default's own uniform, rescaled to a uniform of its own: u / p given u < p, or (u - p) / (1 - p)
for a default a stress overlay forces, so an impact takes no draw and a probability q = 0 changes
nothing.

Example: an obligor with an annual default probability of 12 % in every regime and no loading has
h = 1 - 0.88^(1/12) = 1.06 % a month; it survives 60 months with probability 0.88^5 = 53 %.
"""

import math

from .device import device_function
from .layout import (
    DRAW_E_CREDIT_FACTOR,
    DRAW_U_OBLIGOR,
    MAX_OBLIGORS,
    OBLIGOR_COUNT,
    OBLIGOR_DEFAULT_MONTH,
    OBLIGOR_FORCED_DEFAULT,
    OBLIGOR_GLUT_SWITCH,
    OBLIGOR_HAZARD,
    OBLIGOR_IDIOSYNCRATIC,
    OBLIGOR_IMPACT_PROBABILITY,
    OBLIGOR_LOADING,
    OBLIGOR_LOG_PRICE_JUMP,
    OBLIGOR_THRESHOLD,
)


@device_function
def obligor_blocks(params):
    """(obligors, factor): how many named obligors the market draws uniforms for, and whether it draws the
    common credit factor."""
    obligors = int(params[OBLIGOR_COUNT])
    correlated = False
    for j in range(obligors):
        correlated = correlated or params[OBLIGOR_LOADING + j] > 0
    return obligors, correlated


# Above Phi(-2) = 0.0227501: a uniform at least this large is above Phi(x) for every x <= -2 (by more than
# any rounding of erfc), so such a draw is no default whatever Phi(x) computes to.
ABOVE_PHI_MINUS_TWO = 0.0228


@device_function
def shifted_threshold(params, j, regime, factor):
    """(Phi^-1(h_r) - sqrt(rho) Z) / sqrt(1 - rho): obligor ``j`` defaults if its uniform is below Phi of it."""
    threshold = params[OBLIGOR_THRESHOLD + MAX_OBLIGORS * regime + j]
    return (threshold - params[OBLIGOR_LOADING + j] * factor) / params[OBLIGOR_IDIOSYNCRATIC + j]


@device_function
def default_probability(params, j, regime, factor, dtype):
    """Obligor ``j``'s probability of defaulting this month given the common credit factor ``factor``."""
    if params[OBLIGOR_LOADING + j] <= dtype(0.0):
        return params[OBLIGOR_HAZARD + MAX_OBLIGORS * regime + j]
    shifted = shifted_threshold(params, j, regime, factor)
    return dtype(0.5) * math.erfc(-shifted * dtype(0.7071067811865476))  # Phi(x) = erfc(-x / sqrt 2) / 2


@device_function
def surely_survives(params, j, regime, factor, u, dtype):
    """Whether uniform ``u`` is sure to lie above obligor ``j``'s probability, without computing it: a correlated
    obligor's Phi(x) is at most Phi(-2) where x <= -2 (most months of a credit above a few % a year), and the
    erfc it spares is the step's largest cost."""
    if params[OBLIGOR_LOADING + j] <= dtype(0.0) or u < dtype(ABOVE_PHI_MINUS_TWO):
        return False
    return shifted_threshold(params, j, regime, factor) <= dtype(-2.0)


@device_function
def obligor_step(params, defaulted, month, regime, draws, column, dtype):
    """The market's obligors in month ``month``: (defaulted, ln P jump, glut) after their defaults this month.

    ``defaulted`` has bit j set once obligor j has defaulted. An obligor defaults if its draw in column
    ``column`` of ``draws`` falls below its probability, or in the month a stress overlay makes it
    (``obligor_default``: the draw is still read, so the stressed paths stay paired with the baseline's).
    The jump (ln P) and glut (bool) are the market impacts of this month's defaults.
    """
    factor = draws[DRAW_E_CREDIT_FACTOR, column]
    log_jump = dtype(0.0)
    glut = False
    for j in range(int(params[OBLIGOR_COUNT])):
        if (defaulted >> j) & 1:
            continue
        u = draws[DRAW_U_OBLIGOR + j, column]
        forced = dtype(month) == params[OBLIGOR_FORCED_DEFAULT + j]
        if not forced and surely_survives(params, j, regime, factor, u, dtype):
            continue
        probability = default_probability(params, j, regime, factor, dtype)
        if u < probability:
            impact_uniform = u / probability
        elif forced:
            impact_uniform = (u - probability) / (dtype(1.0) - probability)
        else:
            continue
        defaulted |= 1 << j
        impact = params[OBLIGOR_IMPACT_PROBABILITY + j]
        if impact >= dtype(1.0) or impact_uniform < impact:
            log_jump += params[OBLIGOR_LOG_PRICE_JUMP + j]
            glut = glut or params[OBLIGOR_GLUT_SWITCH + j] > dtype(0.0)
    return defaulted, log_jump, glut


@device_function
def record_obligor_defaults(params, state, defaulted, month, dtype):
    """The firm's record of the market's obligor defaults (``defaulted``'s bits): the month each came."""
    for j in range(int(params[OBLIGOR_COUNT])):
        if (defaulted >> j) & 1 and state[OBLIGOR_DEFAULT_MONTH + j] <= dtype(0.0):
            state[OBLIGOR_DEFAULT_MONTH + j] = dtype(month)


@device_function
def obligor_defaulted(params, state, slot, dtype):
    """Whether the obligor named in parameter ``slot`` (an obligor index, -1: none) has defaulted."""
    obligor = int(params[slot])
    return obligor >= 0 and state[OBLIGOR_DEFAULT_MONTH + obligor] > dtype(0.0)

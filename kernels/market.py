"""One month of the market that every GPU cloud of a path sells into.

State: regime R (0 shortage, 1 glut), ln P (P = GPU rental price, $/GPU-hour,
of the generation that is newest at month 0), the number of generation
launches so far, r = annual short rate. With dt = 1/12 year:

    R      switches with probability SWITCH_PROBABILITY[R] (two-state Markov chain)
    ln P  += (mu_R - sigma_R^2 / 2) dt + sigma_R sqrt(dt) Z_P  [+ ln(1 - d) w.p. lambda dt: a launch]
    ln P   = max(ln P, ln floor)                      (capacity withdrawn below cost)
    r      = b + (r - b) e^{-a dt} + s sqrt((1 - e^{-2 a dt}) / (2 a)) Z_r

(the exact Vasicek transition; the host folds the constants). In the
central case (CENTRAL_CASE) nothing is drawn: R is the more probable regime
of the chain from month 0 and ln P takes the planned path's step (the
regimes' expected log drift and the launches' expected log cut), so the
price is the planned price that collateral is valued against. A stress
overlay then adds its deterministic events of the month (``stress_events``).
The market has
its own parameters, state and random block. A launch cuts the price of every
generation but the one launched; a firm prices each cohort by its generation
(``firm.cohort_log_price``). A firm's utilization (its own state,
``firm.utilization_step``) loads on the market's shocks through the
Cholesky factor of the (price, rate, utilization) correlation matrix.
"""

from .device import device_function
from .layout import (
    CENTRAL_CASE,
    CHOLESKY,
    FLOOR_ENABLED,
    JUMP_PROBABILITY,
    LOG_DRIFT,
    LOG_JUMP,
    LOG_PRICE_FLOOR,
    LOG_PRICE_INITIAL,
    LOG_VOLATILITY,
    PLANNED_REGIME,
    RATE_DECAY,
    RATE_INITIAL,
    RATE_MEAN,
    RATE_SHOCK,
    REFERENCE_LOG_DRIFT,
    REGIME_INITIAL,
    STRESS_LAUNCH_MONTH,
    STRESS_PRICE_END,
    STRESS_PRICE_LOG_STEP,
    STRESS_PRICE_START,
    STRESS_RATE_SHIFT,
    STRESS_RATE_START,
    STRESS_REGIME,
    STRESS_REGIME_END,
    STRESS_REGIME_START,
    SWITCH_PROBABILITY,
)


@device_function
def initial_market(params):
    """(regime, ln P, r, launches) at month 0."""
    return int(params[REGIME_INITIAL]), params[LOG_PRICE_INITIAL], params[RATE_INITIAL], 0


@device_function
def regime_departure(params, month_number):
    """(pi_0 - pi) k^m: how far P(glut in month m) still is from its long-run pi (``glut_probability``)."""
    return (params[REGIME_INITIAL] - params[PLANNED_REGIME]) * params[PLANNED_REGIME + 1] ** month_number


@device_function
def glut_probability(params, month_number):
    """P(the market is in glut in month m) from month 0's regime: the two-state chain's expectation.

    With p = P(shortage -> glut) and q = P(glut -> shortage) a month, the
    chance of glut after m months is pi + (pi_0 - pi) k^m, pi = p / (p + q)
    the long-run share of glut and k = 1 - p - q (PLANNED_REGIME). A chain that
    cannot leave its initial regime has pi = pi_0 and k = 1: pi_0, exactly.
    """
    return params[PLANNED_REGIME] + regime_departure(params, month_number)


@device_function
def planned_log_drift(params, month_number):
    """The planned ln P's step into month m: E[ln P(m) - ln P(m - 1)] without the floor.

    REFERENCE_LOG_DRIFT is the initial regime's log drift plus the expected
    log cut of launches (lambda dt ln(1 - d)); the regime's expectation adds
    (glut's log drift - shortage's) x (P(glut in m) - P(glut in month 0)),
    which is 0 (to the last bit) for a market that stays in one regime.
    """
    shift = glut_probability(params, month_number) - params[REGIME_INITIAL]
    return params[REFERENCE_LOG_DRIFT] + params[PLANNED_REGIME + 2] * shift


@device_function
def central_regime(params, month_number, dtype):
    """The central case's regime in month m: glut while it is the more probable of the two (``glut_probability``).

    Compared as (pi_0 - pi) k^m > 1/2 - pi, not as P(glut) > 1/2: with pi = 1/2 the sum rounds to
    1/2 long before the departure vanishes, at a month that depends on the precision.
    """
    return 1 if regime_departure(params, month_number) > dtype(0.5) - params[PLANNED_REGIME] else 0


@device_function
def reference_step(params, month, reference_log_price, dtype):
    """The planned ln P in month ``month``: one planned step (``planned_log_drift``) on, at least the floor.

    Collateral is valued against this path, since the residual-value curve
    already holds the expected decline of GPU values: only the surprise
    ln P - reference moves them. The central case's ln P follows this path
    exactly (the same additions); with no volatility, jumps or regime switches
    so does every path's.
    """
    reference_log_price = reference_log_price + planned_log_drift(params, dtype(month))
    if params[FLOOR_ENABLED] > dtype(0.0) and reference_log_price < params[LOG_PRICE_FLOOR]:
        reference_log_price = params[LOG_PRICE_FLOOR]
    return reference_log_price


@device_function
def forced_regime(params, month_number):
    """The regime a stress overlay forces in month m (0 shortage, 1 glut), or -1: none."""
    forced = int(params[STRESS_REGIME])
    if forced >= 0 and params[STRESS_REGIME_START] <= month_number <= params[STRESS_REGIME_END]:
        return forced
    return -1


@device_function
def market_impacts(params, month_number, regime, log_price, log_jump, glut, dtype):
    """(regime, ln P) after the market impacts of the month's obligor defaults (``obligors.obligor_step``).

    The jump is a surprise (the planned path keeps its course), floored like every move of ln P; the
    glut switch gives way to a regime a stress overlay forces.
    """
    log_price = log_price + log_jump
    if params[FLOOR_ENABLED] > dtype(0.0) and log_price < params[LOG_PRICE_FLOOR]:
        log_price = params[LOG_PRICE_FLOOR]
    if glut and forced_regime(params, month_number) < 0:
        regime = 1
    return regime, log_price


@device_function
def market_step(params, month, regime, log_price, rate, launches, e_price, e_rate, u_jump, u_regime, dtype):
    """Advance the market to month ``month``; e_price and e_rate are its independent standard normals.

    Returns (regime, ln P, r, launches).

    The correlated shocks are z_price = l00 e_price and z_rate = l10 e_price +
    l11 e_rate (CHOLESKY of the (price, rate, utilization) correlation), so the
    market needs no firm's draw; a firm's utilization loads on both. A stress
    overlay's events of the month come before the floor (``stress_events``).
    """
    month_number = dtype(month)
    central = params[CENTRAL_CASE] > dtype(0.0)
    if central:
        regime = central_regime(params, month_number, dtype)
    elif u_regime < params[SWITCH_PROBABILITY + regime]:
        regime = 1 - regime
    forced = forced_regime(params, month_number)
    forced_now = forced >= 0
    if forced_now:
        regime = forced  # the chain's draw is still used, so the paths stay paired with the baseline's

    z_price = params[CHOLESKY] * e_price
    z_rate = params[CHOLESKY + 1] * e_price + params[CHOLESKY + 2] * e_rate

    log_drift = params[LOG_DRIFT + regime]
    if central and not forced_now:  # the planned step: the regimes' expectation and launches' expected cut
        log_drift = planned_log_drift(params, month_number)
    log_price = log_price + log_drift + params[LOG_VOLATILITY + regime] * z_price
    if u_jump < params[JUMP_PROBABILITY]:
        log_price = log_price + params[LOG_JUMP]
        launches += 1
    log_price, rate, launches = stress_events(params, month_number, log_price, rate, launches)
    if params[FLOOR_ENABLED] > dtype(0.0) and log_price < params[LOG_PRICE_FLOOR]:
        log_price = params[LOG_PRICE_FLOOR]

    rate_mean = params[RATE_MEAN]
    if month_number >= params[STRESS_RATE_START]:
        rate_mean = rate_mean + params[STRESS_RATE_SHIFT]
    rate = rate_mean + (rate - rate_mean) * params[RATE_DECAY] + params[RATE_SHOCK] * z_rate
    return regime, log_price, rate, launches


@device_function
def stress_events(params, month_number, log_price, rate, launches):
    """A stress overlay's events of the month: (ln P, r before its step, launches).

    A forced launch cuts ln P by ln(1 - d) like a random one; the price shock
    adds ln(multiplier) / months in each month of its ramp, so the price ends
    the ramp at multiplier x where it would have been. The rate shift moves the
    Vasicek state and its mean together in its first month, so from then on r
    is the baseline's r + shift exactly (``market_step`` shifts the mean).
    """
    if month_number == params[STRESS_LAUNCH_MONTH]:
        log_price = log_price + params[LOG_JUMP]
        launches += 1
    if params[STRESS_PRICE_START] <= month_number <= params[STRESS_PRICE_END]:
        log_price = log_price + params[STRESS_PRICE_LOG_STEP]
    if month_number == params[STRESS_RATE_START]:
        rate = rate + params[STRESS_RATE_SHIFT]
    return log_price, rate, launches

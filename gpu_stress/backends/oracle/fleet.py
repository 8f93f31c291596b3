"""The fleet on every path (``kernels/fleet.py``): cohorts in service, their prices and values, deliveries."""

from ...kernels import layout as L
from .funding import awaits_funding


def cohort_in_service(firm, s, c, month):
    """Months since cohort c's first tranche on every path, whether it is in service, and the share delivered."""
    p = firm.p
    age = firm.dtype(month) - s.delivery[:, c]
    parts = p[L.COHORT_DELIVERY_MONTHS + c]  # monthly delivery tranches
    serving = (age >= 0) & (age <= p[L.COHORT_USEFUL_LIFE + c])
    return age, serving, firm.xp.minimum(age + firm.dtype(1.0), parts) / parts


def cohort_log_price(firm, s, c, log_price):
    """ln of the price cohort c's generation earns: a ratio of the firm's, uncut by launches before delivery."""
    p = firm.p
    value = log_price + p[L.COHORT_LOG_PRICE_RATIO + c] - s.launch_credit[:, c] * p[L.LOG_JUMP]
    return firm.xp.maximum(value, p[L.LOG_PRICE_FLOOR]) if p[L.FLOOR_ENABLED] > 0 else value


def fleet(firm, s, month, price_surprise, index):
    """Each cohort's value in full, W_c: in service at cost x residual(age) x (P_f / planned P)^elasticity x I.

    ``index`` is the month's resale-value index I (a scalar or one per path).
    """
    p, xp = firm.p, firm.xp
    values = []
    for c in range(firm.cohort_count):
        age, serving, delivered = cohort_in_service(firm, s, c, month)
        exponent = p[L.PRICE_ELASTICITY] * price_surprise + p[L.COHORT_LOG_DECAY + c] * age
        value = p[L.COHORT_COST + c] * delivered * xp.exp(exponent) * index
        values.append(xp.where(serving, value, firm.dtype(0.0)))
    return values


def fleet_value(firm, s, values):
    """The firm's collateral V: what it still owns of each cohort (defaulted pools' lenders sold their share)."""
    value = firm.full(0.0)
    for c, value_c in enumerate(values):
        value = value + (firm.dtype(1.0) - s.sold[:, c]) * value_c
    return value


def deliveries(firm, s, m):
    """Deposits and deliveries due this month: (capex $, drawn on delayed-draw facilities $) per path."""
    p, xp, dtype = firm.p, firm.xp, firm.dtype
    zero, one = dtype(0.0), dtype(1.0)
    month_number, was_alive = m.month_number, m.was_alive
    capex, drawn = firm.full(0.0), firm.full(0.0)
    m.capex_deferred = firm.full(0.0)
    for c in range(firm.cohort_count):
        if p[L.COHORT_DEPOSIT_MONTH + c] == month_number:
            capex = capex + xp.where(was_alive, p[L.COHORT_DEPOSIT + c], zero)
        due = was_alive & (s.delivery[:, c] == month_number)
        planned = p[L.COHORT_FIXED_DELAY + c] - p[L.COHORT_AGE_INITIAL + c]
        slip = due & (p[L.COHORT_SLIPS + c] > 0) & (month_number - planned < p[L.DELAY_MAX])
        slip &= m.slip_draws[c] < m.by_regime(L.SLIP_PROBABILITY)
        if firm.unsigned:  # a delivery waits for the facilities that fund it to close
            slip |= due & awaits_funding(firm, s, c)
        if p[L.RESPONSE_DEFER_BELOW] > 0:  # the firm puts off a delivery while cash is short, then cancels it
            short = due & ~slip & (s.cash < p[L.RESPONSE_DEFER_BELOW])
            defer = short & (s.deferred[:, c] < p[L.RESPONSE_MAX_DEFERRAL])
            s.deferred[:, c] += defer
            m.capex_deferred = m.capex_deferred + xp.where(defer, p[L.COHORT_COST + c] - p[L.COHORT_DEPOSIT + c], zero)
            s.delivery[:, c] = xp.where(short & ~defer, dtype(L.NEVER_DELIVERED), s.delivery[:, c])
            slip |= defer
        s.delivery[:, c] += slip
        for i in range(firm.customers):  # a first term from delivery starts later
            if firm.customer_cohort[i] == c and p[L.CUSTOMER_END + i] < 0:
                s.contract_end[:, i] += slip
        parts = p[L.COHORT_DELIVERY_MONTHS + c]
        part = month_number - s.delivery[:, c]  # its monthly delivery tranches: 0, 1, ...
        arrives = was_alive & ~slip & (part >= 0) & (part < parts) & (part <= p[L.COHORT_USEFUL_LIFE + c])
        cost = p[L.COHORT_COST + c] / parts
        kept = one - s.sold[:, c]  # the firm buys only what defaulted pools' lenders did not take
        capex = capex + xp.where(arrives, (cost - p[L.COHORT_DEPOSIT + c] / parts) * kept, zero)
        if p[L.COHORT_NEWEST + c] > 0:
            s.launch_credit[:, c] = xp.where(arrives & (part == 0), m.launches, s.launch_credit[:, c])
        funded = firm.full(0.0)
        for j in range(firm.tranches):
            if month_number > p[L.TRANCHE_DRAW_END + j] or (int(p[L.TRANCHE_FUNDS + j]) >> c) & 1 == 0:
                continue
            draw = xp.minimum(p[L.TRANCHE_ADVANCE_RATE + j] * cost * kept - funded, s.undrawn[:, j])
            draw = xp.where(arrives & (draw > 0), draw, zero)
            s.undrawn[:, j] -= draw
            s.balance[:, j] += draw
            funded = funded + draw
        drawn = drawn + funded
    return capex, drawn

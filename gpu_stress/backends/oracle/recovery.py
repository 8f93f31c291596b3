"""Recovery on every path (``kernels/recovery.py``): the GPUs at the sale, contracts sold as going concerns, the EV."""

from ...kernels import layout as L
from .contracts import contracted_forward_ebitda


def life_left(firm, s, m, c):
    """Months cohort ``c`` serves after this month before it retires, per path."""
    return firm.p[L.COHORT_USEFUL_LIFE + c] - (m.month_number - s.delivery[:, c])


def sale_values(firm, s, m):
    """Each cohort's value in full at the sale, W months after this month: aged along its used-value curve (past
    its useful life too)."""
    p, xp = firm.p, firm.xp
    workout = p[L.RECOVERY_WORKOUT_MONTHS]
    if workout <= 0:
        return list(m.cohort_value)
    return [value * xp.exp(p[L.COHORT_LOG_DECAY + c] * workout) for c, value in enumerate(m.cohort_value)]


def pool_sale_value(firm, m, values, q):
    """Pool ``q``'s share of its cohorts at the sale; with no workout, this month's ``m.pool_value``."""
    p = firm.p
    if p[L.RECOVERY_WORKOUT_MONTHS] <= 0:
        return m.pool_value[:, q]
    total = firm.full(0.0)
    for c in firm.pool_cohorts[q]:
        total = total + values[c]
    return total * p[L.POOL_SHARE + q]


def unpledged_sale_value(firm, s, m, values):
    """What no pool not in default holds, at the sale."""
    p, xp, dtype = firm.p, firm.xp, firm.dtype
    if p[L.RECOVERY_WORKOUT_MONTHS] <= 0:
        return xp.maximum(m.value - m.pool_value.sum(axis=1), dtype(0.0))
    owned = firm.full(0.0)
    for c, value in enumerate(values):
        owned = owned + (dtype(1.0) - s.sold[:, c]) * value
    for q in range(firm.pools):
        owned = owned - xp.where(s.pool_defaulted[:, q], dtype(0.0), pool_sale_value(firm, m, values, q))
    return xp.maximum(owned, dtype(0.0))


def annuity(firm, delta, months):
    """sum_{t=1..months} e^(-delta t), per path."""
    xp = firm.xp
    if delta <= 0:
        return months
    return -xp.expm1(-delta * months) / xp.expm1(delta)


def contract_gain(firm, s, m, values, q):
    """What pool ``q``'s surviving contracts add to its GPUs in a going-concern sale, per path (kernel's rule)."""
    p, xp, dtype = firm.p, firm.xp, firm.dtype
    zero = dtype(0.0)
    gain = firm.full(0.0)
    if p[L.RECOVERY_CONTRACTS] <= 0:
        return gain
    sale_month = m.month_number + p[L.RECOVERY_WORKOUT_MONTHS]
    delta = p[L.RECOVERY_LOG_DISCOUNT]
    for c in firm.pool_cohorts[q]:
        gpus = m.in_service[c]
        cost = p[L.COHORT_POWER_FULL + c] / p[L.COHORT_GPUS + c] + p[L.OPEX_PER_GPU]  # $ a GPU-month
        bare_cohort = p[L.POOL_SHARE + q] * values[c] * p[L.FIRE_SALE_RECOVERY]
        serves = life_left(firm, s, m, c) - p[L.RECOVERY_WORKOUT_MONTHS]  # months after the sale
        for i, covers in enumerate(firm.customer_cohort):
            if covers >= 0 and covers != c:
                continue
            months = xp.minimum(s.contract_end[:, i] - sale_month, serves)  # no margin once its GPUs retire
            selling = s.customer_alive[:, i] & (gpus > zero) & (months > zero)
            if covers >= 0:
                selling = selling & (m.month_number >= s.delivery[:, covers])
            months = xp.where(selling, months, zero)
            contracted = p[L.POOL_SHARE + q] * p[L.CUSTOMER_SHARE + i] * gpus
            margin = (
                contracted * p[L.CUSTOMER_TAKE_OR_PAY + i] * (s.contract_price[:, i] * dtype(L.HOURS_PER_MONTH) - cost)
            )
            bare = p[L.CUSTOMER_SHARE + i] * bare_cohort
            going = margin * annuity(firm, delta, months) + bare * xp.exp((p[L.COHORT_LOG_DECAY + c] - delta) * months)
            gain = gain + xp.where(selling, xp.maximum(going - bare, zero), zero)
    return gain


def enterprise_surplus(firm, s, m, reserves, liquidation):
    """The going-concern value above ``liquidation`` (gross of costs), per path; 0 without the EV rule."""
    p, xp, dtype = firm.p, firm.xp, firm.dtype
    zero = dtype(0.0)
    multiple = p[L.RECOVERY_EV_MULTIPLE]
    if multiple <= 0:
        return firm.full(0.0)
    ebitda = xp.maximum(contracted_forward_ebitda(firm, s, m, -1), zero)
    enterprise = multiple * ebitda + xp.maximum(s.cash, zero) + reserves
    return xp.maximum(enterprise - liquidation, zero)


def shares_of(firm, assets, gpus, contracts, enterprise):
    """(GPUs, contracts, enterprise value) as shares of pots of ``assets`` per path (0 for an empty pot)."""
    xp, zero = firm.xp, firm.dtype(0.0)
    safe = xp.where(assets > zero, assets, firm.dtype(1.0))
    return tuple(xp.where(assets > zero, part / safe, zero) for part in (gpus, contracts, enterprise))

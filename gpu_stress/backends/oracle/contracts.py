"""Backlog contracts and fixed charges on every path (``kernels/contracts.py``)."""

import numpy as np

from ...kernels import layout as L
from .fleet import cohort_log_price
from .obligors import obligor_defaulted


def contracts(firm, s, m):
    """Expire, renew or lose the backlog contracts this month; returns the delay penalties due ($ per path)."""
    p, xp, dtype = firm.p, firm.xp, firm.dtype
    zero, one = dtype(0.0), dtype(1.0)
    month_number, was_alive = m.month_number, m.was_alive
    penalties = firm.full(0.0)
    for i, c in enumerate(firm.customer_cohort):
        if month_number == p[L.CUSTOMER_DEFAULT_MONTH + i]:  # a stress overlay's default
            s.customer_alive[:, i] &= ~was_alive
        s.customer_alive[:, i] &= ~(was_alive & obligor_defaulted(firm, s, L.CUSTOMER_OBLIGOR + i))  # its obligor's
        active = s.customer_alive[:, i] & was_alive
        if c >= 0:
            waiting = active & (month_number < s.delivery[:, c])
            ended = waiting & (month_number > s.contract_end[:, i])  # its first term ran out before its cohort
            s.customer_alive[:, i] &= ~ended
            active &= ~ended
            waiting &= ~ended
            if month_number + p[L.COHORT_AGE_INITIAL + c] + one > p[L.CUSTOMER_DELAY_LIMIT + i]:
                if p[L.CUSTOMER_TERMINATES + i] > 0:
                    s.customer_alive[:, i] &= ~waiting
                else:
                    gpu_hours = p[L.CUSTOMER_SHARE + i] * p[L.COHORT_GPUS + c] * dtype(L.HOURS_PER_MONTH)
                    value = p[L.CUSTOMER_DELAY_PENALTY + i] * gpu_hours * s.contract_price[:, i]
                    penalties = penalties + xp.where(waiting, value, zero)
            active &= ~waiting
        expired = active & (month_number > s.contract_end[:, i])
        renews = expired & (m.renewal_draws[i] < m.by_regime_of(L.CUSTOMER_RENEWAL, i))
        s.contract_end[:, i] += xp.where(renews, p[L.CUSTOMER_TERM + i], zero)
        spot = m.log_price if c < 0 else cohort_log_price(firm, s, c, m.log_price)
        renewed_price = xp.exp(spot) * (one - p[L.CUSTOMER_RENEWAL_DISCOUNT + i])
        s.contract_price[:, i] = xp.where(renews, renewed_price, s.contract_price[:, i])
        lapses = expired & ~renews  # its capacity goes back to the spot market
        s.customer_alive[:, i] &= ~lapses
        defaults_now = active & ~lapses & (m.customer_draws[i] < m.by_regime_of(L.CUSTOMER_HAZARD, i))
        s.customer_alive[:, i] &= ~defaults_now
    return penalties


def contracted(firm, s, m, cohort):
    """(share of the cohort's GPUs under paying contracts, $ per cohort GPU-hour they pay) this month, per path."""
    p, xp, dtype = firm.p, firm.xp, firm.dtype
    zero, one = dtype(0.0), dtype(1.0)
    share, rate = firm.full(0.0), firm.full(0.0)
    for i, covers in enumerate(firm.customer_cohort):
        if covers >= 0 and covers != cohort:
            continue
        paying = s.customer_alive[:, i]
        if covers >= 0:
            paying = paying & (m.month_number >= s.delivery[:, covers])
        take_or_pay = p[L.CUSTOMER_TAKE_OR_PAY + i]
        paid = take_or_pay + (one - take_or_pay) * m.utilization
        share = share + xp.where(paying, p[L.CUSTOMER_SHARE + i], zero)
        rate = rate + xp.where(paying, p[L.CUSTOMER_SHARE + i] * s.contract_price[:, i] * paid, zero)
    return share, rate


def contracted_forward_ebitda(firm, s, m, pool):
    """Contracted forward EBITDA ($ a year, per path) of ``pool``'s share of its cohorts, or (``pool`` -1) of what
    the firm owns less twelve months of fixed opex and charges (see the kernel's). After ``operating_cash_flow``."""
    p, xp, dtype = firm.p, firm.xp, firm.dtype
    zero, year = dtype(0.0), dtype(L.MONTHS_PER_YEAR)
    total = firm.full(0.0)
    for c in range(firm.cohort_count):
        if pool >= 0 and c not in firm.pool_cohorts[pool]:
            continue
        held = p[L.POOL_SHARE + pool] if pool >= 0 else dtype(1.0) - s.sold[:, c]
        gpus = m.in_service[c]
        cost = p[L.COHORT_POWER_FULL + c] / p[L.COHORT_GPUS + c] + p[L.OPEX_PER_GPU]  # $ a GPU-month
        for i, covers in enumerate(firm.customer_cohort):
            if covers >= 0 and covers != c:
                continue
            paying = s.customer_alive[:, i] & (gpus > zero)
            if covers >= 0:
                paying = paying & (m.month_number >= s.delivery[:, covers])
            months_left = xp.minimum(xp.maximum(s.contract_end[:, i] - m.month_number, zero), year)
            margin = s.contract_price[:, i] * dtype(L.HOURS_PER_MONTH) - cost
            contract = held * p[L.CUSTOMER_SHARE + i] * gpus * p[L.CUSTOMER_TAKE_OR_PAY + i] * margin * months_left
            total = total + xp.where(paying, contract, zero)
    if pool < 0:
        total = total - year * (p[L.FIXED_OPEX] - m.opex_saved + m.charges)
    return total


def fixed_charges(firm, month):
    """Leases and power contracts due this month ($, the same on every path), each escalating from its first month."""
    p = firm.p
    total = firm.dtype(0.0)
    for k in range(int(p[L.OBLIGATION_COUNT])):
        start = p[L.OBLIGATION_START + k]
        if start <= month <= p[L.OBLIGATION_END + k]:
            total = total + p[L.OBLIGATION_AMOUNT + k] * np.exp(p[L.OBLIGATION_LOG_ESCALATION + k] * (month - start))
    return total

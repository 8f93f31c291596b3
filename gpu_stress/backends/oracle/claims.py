"""The fixed charges' counterparties as creditors on every path (``kernels/claims.py``).

A month's ``month`` may be one number or one per path: every expression is elementwise.
"""

from ...kernels import layout as L
from ...kernels.claims import CAP_CEILING_MONTHS, CAP_FLOOR_MONTHS, CAP_SHARE
from .covenants import loan_to_value


def payments_over(firm, first_payment, log_growth, months):
    """$ paid over ``months`` months from ``first_payment``, each month e^``log_growth`` times the last."""
    xp, zero = firm.xp, firm.dtype(0.0)
    if log_growth == zero:
        paid = first_payment * months
    else:
        paid = first_payment * xp.expm1(log_growth * months) / xp.expm1(log_growth)
    return xp.where(months > zero, paid, zero)


def after_month(firm, k, month_number):
    """(first payment $, months, first month) of fixed charge ``k`` after ``month_number``."""
    p, xp, dtype = firm.p, firm.xp, firm.dtype
    start = p[L.OBLIGATION_START + k]
    first = xp.maximum(start, month_number + dtype(1.0))
    months = xp.maximum(p[L.OBLIGATION_END + k] - first + dtype(1.0), dtype(0.0))
    payment = p[L.OBLIGATION_AMOUNT + k] * xp.exp(p[L.OBLIGATION_LOG_ESCALATION + k] * (first - start))
    return payment, months, first


def months_within(firm, window, month_number, first, months):
    """Of a charge's ``months`` left from month ``first``, those in the ``window`` months after ``month_number``."""
    dtype = firm.dtype
    return firm.xp.minimum(months, firm.xp.maximum(month_number + dtype(window) - first + dtype(1.0), dtype(0.0)))


def charges_remain(firm, month_number):
    p = firm.p
    return any(p[L.OBLIGATION_END + k] > month_number for k in range(int(p[L.OBLIGATION_COUNT])))


def lease_cause(firm, m, cause):
    """LEASE where the month's cash fell short of its fixed charges, or a firm owing no lender owes rent."""
    xp = firm.xp
    short = (m.cash_before_service < 0) & (m.charges > 0)
    owes_rent = (cause == L.INSOLVENT_NO_DEBT) & charges_remain(firm, m.month_number)
    return xp.where(short | owes_rent, L.LEASE, cause)


def lease_claim(firm, s, m):
    """What the counterparties claim at a default this month ($ per path): arrears plus rejection damages."""
    p, xp, dtype = firm.p, firm.xp, firm.dtype
    claim = xp.minimum(xp.maximum(-s.cash, dtype(0.0)), m.charges)
    month = m.month_number
    for k in range(int(p[L.OBLIGATION_COUNT])):
        payment, months, first = after_month(firm, k, month)
        growth = p[L.OBLIGATION_LOG_ESCALATION + k]
        remaining = payments_over(firm, payment, growth, months)
        damages = p[L.OBLIGATION_CLAIM_SHARE + k] * remaining
        if p[L.OBLIGATION_CAPPED + k] > 0:
            in_year = xp.minimum(months, xp.maximum(month + dtype(CAP_FLOOR_MONTHS) - first + dtype(1.0), dtype(0.0)))
            in_three = xp.minimum(
                months, xp.maximum(month + dtype(CAP_CEILING_MONTHS) - first + dtype(1.0), dtype(0.0))
            )
            floor = payments_over(firm, payment, growth, in_year)
            ceiling = payments_over(firm, payment, growth, in_three)
            damages = xp.minimum(damages, xp.maximum(floor, xp.minimum(dtype(CAP_SHARE) * remaining, ceiling)))
        claim = claim + damages
    return claim


def lease_liability(firm, month_number):
    """The fixed charges after ``month_number``, discounted to its end ($)."""
    p, xp = firm.p, firm.xp
    discount = p[L.LEASE_LOG_DISCOUNT]
    total = xp.zeros_like(xp.asarray(month_number, dtype=firm.dtype))
    for k in range(int(p[L.OBLIGATION_COUNT])):
        payment, months, first = after_month(firm, k, month_number)
        present = payment * xp.exp(-discount * (first - month_number))
        total = total + payments_over(firm, present, p[L.OBLIGATION_LOG_ESCALATION + k] - discount, months)
    return total


def lease_adjusted(firm, s, month_number, debt):
    """(lease liability, lease-adjusted debt, its leverage over annualised trailing EBITDAR), per path."""
    xp, dtype = firm.xp, firm.dtype
    liability = lease_liability(firm, month_number)
    quarter = s.ebitda_trailing.sum(axis=1)
    ebitdar = quarter * dtype(L.MONTHS_PER_YEAR) / xp.minimum(month_number, dtype(L.TRAILING_MONTHS))
    adjusted = debt + liability
    return liability, adjusted, loan_to_value(firm, adjusted, ebitdar)

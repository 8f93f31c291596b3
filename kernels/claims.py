"""The fixed charges' counterparties as creditors: landlords, equipment lessors and power suppliers.

All money in $. With ``[claims]`` on, a lease or power contract is an
obligation to a counterparty, not only a cost:

- ``lease_cause``: the month pays operating costs and deliveries, then its
  fixed charges, then its lenders; a month whose cash falls short of its
  fixed charges is a default of its own (LEASE), and a firm that owes no
  lender but still owes rent defaults on its leases, not "insolvent, no debt".
- ``lease_claim``: at the parent's default the firm is liquidated and rejects
  every lease and contract. Each counterparty claims what this month's cash
  left unpaid plus its damages, the share of its remaining payments it cannot
  re-let or resell (``claim_share``); a real-property lease's are capped at the
  rent of the greater of one year or 15 % of what is left, at most three years,
  after the default (11 U.S.C. § 502(b)(6)). Their claims rank in the estate at
  CLAIMS_RANK (``capital.share_by_rank``).
- ``lease_liability``: the present value of the fixed charges after this
  month, as rating agencies add it to debt (lease-adjusted debt).

Payments escalate continuously: a charge of ``a`` in its first month pays
``a e^(g (t - start))`` in month t, g = OBLIGATION_LOG_ESCALATION.
"""

import math

from .contracts import charge_in
from .covenants import loan_to_value
from .device import device_function
from .layout import (
    EBITDA_TRAILING,
    FIXED_CHARGES,
    INSOLVENT_NO_DEBT,
    LEASE,
    LEASE_LOG_DISCOUNT,
    MONTHS_PER_YEAR,
    OBLIGATION_CAPPED,
    OBLIGATION_CLAIM_SHARE,
    OBLIGATION_COUNT,
    OBLIGATION_END,
    OBLIGATION_LOG_ESCALATION,
    OBLIGATION_START,
    TRAILING_MONTHS,
)

CAP_FLOOR_MONTHS = 12  # 502(b)(6): the rent of one year at least ...
CAP_SHARE = 0.15  # ... or 15 % of the rest of the term ...
CAP_CEILING_MONTHS = 36  # ... but no more than three years' rent


@device_function
def payments_over(first_payment, log_growth, months, dtype):
    """$ paid over ``months`` months from ``first_payment``, each month e^``log_growth`` times the last."""
    if months <= dtype(0.0):
        return dtype(0.0)
    if log_growth == dtype(0.0):
        return first_payment * months
    return first_payment * math.expm1(log_growth * months) / math.expm1(log_growth)


@device_function
def after_month(params, k, month_number, dtype):
    """(first payment $, months, first month) of fixed charge ``k`` after ``month_number``; 0 months once it ends."""
    first = max(params[OBLIGATION_START + k], month_number + dtype(1.0))
    months = params[OBLIGATION_END + k] - first + dtype(1.0)
    return charge_in(params, k, first), max(months, dtype(0.0)), first


@device_function
def months_within(window, month_number, first, months, dtype):
    """Of a charge's ``months`` left from month ``first``, those in the ``window`` months after ``month_number``."""
    return min(months, max(month_number + dtype(window) - first + dtype(1.0), dtype(0.0)))


@device_function
def charges_remain(params, month, dtype):
    """Does any fixed charge fall due after ``month``?"""
    month_number = dtype(month)
    for k in range(int(params[OBLIGATION_COUNT])):
        if params[OBLIGATION_END + k] > month_number:
            return True
    return False


@device_function
def lease_cause(params, state, month, cash, cause, dtype):
    """LEASE if ``cash`` ($, after the fixed charges) fell short of them, or the firm owing no lender owes rent;
    else ``cause`` (how the unpaid month ends by its debt)."""
    if cash < dtype(0.0) and state[FIXED_CHARGES] > dtype(0.0):
        return LEASE
    if cause == INSOLVENT_NO_DEBT and charges_remain(params, month, dtype):
        return LEASE
    return cause


@device_function
def lease_claim(params, state, month, cash, dtype):
    """What the fixed charges' counterparties claim at a default in ``month`` ($), ``cash`` as the month left it.

    Arrears (the part of this month's charges that ``cash`` < 0 did not cover)
    plus each charge's rejection damages: ``claim_share`` of what falls due
    after this month, a real-property lease's capped at the rent due in the
    year after the default, or 15 % of what is left if more, but no more than
    the rent due in the three years after it (a lease not yet commenced: what
    of those years it runs).
    """
    claim = min(max(-cash, dtype(0.0)), state[FIXED_CHARGES])
    month_number = dtype(month)
    for k in range(int(params[OBLIGATION_COUNT])):
        payment, months, first = after_month(params, k, month_number, dtype)
        growth = params[OBLIGATION_LOG_ESCALATION + k]
        remaining = payments_over(payment, growth, months, dtype)
        damages = params[OBLIGATION_CLAIM_SHARE + k] * remaining
        if params[OBLIGATION_CAPPED + k] > dtype(0.0):
            floor = payments_over(
                payment, growth, months_within(CAP_FLOOR_MONTHS, month_number, first, months, dtype), dtype
            )
            ceiling = payments_over(
                payment, growth, months_within(CAP_CEILING_MONTHS, month_number, first, months, dtype), dtype
            )
            damages = min(damages, max(floor, min(dtype(CAP_SHARE) * remaining, ceiling)))
        claim += damages
    return claim


@device_function
def lease_liability(params, month, dtype):
    """The fixed charges after ``month``, discounted to its end at LEASE_LOG_DISCOUNT a month ($)."""
    month_number = dtype(month)
    discount = params[LEASE_LOG_DISCOUNT]
    total = dtype(0.0)
    for k in range(int(params[OBLIGATION_COUNT])):
        payment, months, first = after_month(params, k, month_number, dtype)
        present = payment * math.exp(-discount * (first - month_number))
        total += payments_over(present, params[OBLIGATION_LOG_ESCALATION + k] - discount, months, dtype)
    return total


@device_function
def lease_adjusted(params, state, month, debt, dtype):
    """(lease liability $, lease-adjusted debt $, lease-adjusted leverage) at the end of ``month``.

    Lease-adjusted debt is ``debt`` + ``lease_liability``; its leverage is that
    over the trailing quarter's EBITDAR (EBITDA + fixed charges) annualised,
    RATIO_CAP when EBITDAR is not positive.
    """
    liability = lease_liability(params, month, dtype)
    quarter = dtype(0.0)
    for k in range(TRAILING_MONTHS):
        quarter += state[EBITDA_TRAILING + k]
    ebitdar = quarter * dtype(MONTHS_PER_YEAR) / dtype(min(month, TRAILING_MONTHS))
    adjusted = debt + liability
    return liability, adjusted, loan_to_value(adjusted, ebitdar, dtype)

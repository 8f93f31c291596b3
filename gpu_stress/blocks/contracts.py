"""Contracts and customers.

the backlog contracts (take-or-pay, renewals, counterparty default, delay remedies) and fixed
charges (leases, power contracts).
"""

import math
from dataclasses import dataclass
from typing import Literal

from pydantic import model_validator

from ..config.types import Dollars, Escalation, Name, Probability, Section, between
from ..kernels import layout as L
from .fleet import cohorts, delivery_window
from .slots import Slot, month_of, monthly_hazard, per_customer, per_customer_by_regime
from .view import BASE_CASE_REASON

# --- the config sections (schema) ---


class Obligation(Section):
    """A fixed charge (data-centre lease, equipment lease, power contract): $ a month, escalating once a year's
    worth a month. With ``[claims]`` its counterparty is a creditor (``blocks.claims``): ``kind`` sets how its
    damages are bounded at a rejection, ``claim_share`` the share of them it claims."""

    name: Name = "lease"
    monthly: Dollars  # $ in its first month
    start_month: between(1, 1200, int) = 1
    end_month: between(1, 1200, int) = 1200
    escalation: Escalation = 0.0  # annual
    kind: Literal["real_property", "equipment", "power"] = "real_property"
    claim_share: Probability = 1.0  # of its damages: what its counterparty cannot re-let or resell


class Customer(Section):
    """A backlog contract: take-or-pay on a share of one cohort's GPUs from its delivery for
    ``term_months``, or (no ``cohort``) on a share of the whole fleet until ``end_month``."""

    name: Name = "anchor"
    cohort: Name | None = None  # a cohort's name, "installed" for [firm]'s fleet; None: the whole fleet
    share: between(0.001, 1)
    price: between(0, 1000)  # $/GPU-hour
    end_month: between(0, 1200, int) | None = None  # last month of the first term (fleet contracts: required)
    term_months: between(1, 1200, int) | None = None  # a term from the cohort's delivery; renewals
    take_or_pay: Probability = 1.0  # share of the contracted hours paid whether used or not
    annual_default_probability: Probability = 0.0  # in shortage
    glut_annual_default_probability: Probability | None = None  # None: as in shortage
    renewal_probability: Probability = 0.0  # at expiry, in shortage
    glut_renewal_probability: Probability | None = None  # None: as in shortage
    renewal_discount: between(0, 0.99) = 0.0  # to the spot price of the cohort's generation at renewal
    delay_limit_months: between(0, 1200, int) = 1200  # months its cohort may be late before the remedy
    terminates_on_delay: bool = False  # past the limit: the customer walks away (else it is paid a penalty)
    delay_penalty: between(0, 10) = 0.0  # share of the contract's monthly value, each month past the limit
    obligor: Name | None = None  # an obligor of [[obligors]]: its default ends the contract (no probability of its own)

    @model_validator(mode="after")
    def _has_a_term(self):
        if self.cohort is None and self.end_month is None:
            raise ValueError("a fleet-wide contract (no cohort) needs end_month")
        if self.cohort is not None and self.term_months is None and self.end_month is None:
            raise ValueError("a contract on a cohort needs term_months (from its delivery) or end_month")
        if self.renewal_probability + (self.glut_renewal_probability or 0.0) > 0 and self.term_months is None:
            raise ValueError("a contract that can renew needs term_months (the length of a renewal)")
        return self


@dataclass(frozen=True)
class FixedCharge:
    """One fixed charge as the slots see it: $ a month from ``start`` to ``end``, escalating yearly; its kind and
    the share of its damages its counterparty claims (``blocks.claims``)."""

    monthly: float
    start: int
    end: int
    escalation: float  # annual
    kind: str = "real_property"
    claim_share: float = 1.0


def fixed_charges(config):
    """The cohorts' data-centre leases (from their planned delivery, for their useful life), then [[obligations]].

    A cohort's lease is its IT load (GPUs x kW) x $ per kW-month: it is
    committed, so it runs from the planned month even if the delivery slips;
    it is a lease of real property (a data centre).
    """
    charges = []
    for cohort in cohorts(config)[1:]:
        if cohort.lease_per_kw_month > 0:
            start = max(1, cohort.planned_delivery)
            monthly = cohort.gpus * cohort.power_kw * cohort.lease_per_kw_month
            end = cohort.planned_delivery + cohort.useful_life_months
            charges.append(FixedCharge(monthly, start, end, config.firm.lease_escalation))
    for obligation in config.obligations:
        charges.append(
            FixedCharge(
                obligation.monthly,
                obligation.start_month,
                obligation.end_month,
                obligation.escalation,
                obligation.kind,
                obligation.claim_share,
            )
        )
    return charges


def per_charge(function):
    return lambda config: (
        [function(charge) for charge in fixed_charges(config)]
        + [0.0] * (L.MAX_OBLIGATIONS - len(fixed_charges(config)))
    )


# --- its home in the config, and the kernel functions that read its slots (kernels/<module>.py) ---
SECTIONS = {
    "customers": Customer,
    "obligations": Obligation,
}
KERNEL = (
    "contracts.contracts",
    "contracts.contracted",
    "contracts.fixed_charges",
    "contracts.charge_in",
    "firm.init_firm",
)


SLOTS = (
    Slot(
        L.OBLIGATION_COUNT,
        "charges",
        ("obligations", "cohorts[].lease_per_kw_month"),
        lambda c: len(fixed_charges(c)),
    ),
    Slot(
        L.OBLIGATION_AMOUNT,
        "$ per month",
        ("obligations[].monthly", "cohorts[].lease_per_kw_month", "cohorts[].gpus", "cohorts[].power_kw"),
        per_charge(lambda charge: charge.monthly),
        L.MAX_OBLIGATIONS,
    ),
    Slot(
        L.OBLIGATION_START,
        "month",
        ("obligations[].start_month", "cohorts[].delivery_month"),
        per_charge(lambda charge: charge.start),
        L.MAX_OBLIGATIONS,
    ),
    Slot(
        L.OBLIGATION_END,
        "month",
        ("obligations[].end_month", "cohorts[].delivery_month", "cohorts[].useful_life_months"),
        per_charge(lambda charge: charge.end),
        L.MAX_OBLIGATIONS,
    ),
    Slot(
        L.OBLIGATION_LOG_ESCALATION,
        "ln growth per month",
        ("obligations[].escalation", "firm.lease_escalation"),
        per_charge(lambda charge: math.log1p(charge.escalation) / L.MONTHS_PER_YEAR),
        L.MAX_OBLIGATIONS,
    ),
    Slot(L.CUSTOMER_COUNT, "customers", ("customers",), lambda c: len(c.customers)),
    Slot(
        L.CUSTOMER_COHORT,
        "cohort index (-1 fleet)",
        ("customers[].cohort",),
        lambda c: (
            [-1.0 if x.cohort is None else c.cohort_index(x.cohort) for x in c.customers]
            + [-1.0] * (L.MAX_CUSTOMERS - len(c.customers))
        ),
        L.MAX_CUSTOMERS,
    ),
    Slot(
        L.CUSTOMER_SHARE,
        "share",
        ("customers[].share",),
        per_customer(lambda customer: customer.share),
        L.MAX_CUSTOMERS,
    ),
    Slot(
        L.CUSTOMER_PRICE,
        "$/GPU-hour",
        ("customers[].price",),
        per_customer(lambda customer: customer.price),
        L.MAX_CUSTOMERS,
    ),
    Slot(
        L.CUSTOMER_END,
        "month (-1: a term from delivery)",
        ("customers[].end_month",),
        per_customer(lambda customer: -1.0 if customer.end_month is None else customer.end_month),
        L.MAX_CUSTOMERS,
    ),
    Slot(
        L.CUSTOMER_TERM,
        "months",
        ("customers[].term_months", "customers[].end_month"),
        per_customer(lambda customer: customer.term_months or max(customer.end_month or 1, 1)),
        L.MAX_CUSTOMERS,
    ),
    Slot(
        L.CUSTOMER_TAKE_OR_PAY,
        "share",
        ("customers[].take_or_pay",),
        per_customer(lambda customer: customer.take_or_pay),
        L.MAX_CUSTOMERS,
    ),
    Slot(
        L.CUSTOMER_HAZARD,
        "per month",
        ("customers[].annual_default_probability", "customers[].glut_annual_default_probability"),
        per_customer_by_regime(
            lambda customer: customer.annual_default_probability,
            lambda customer: customer.glut_annual_default_probability,
            monthly_hazard,
        ),
        2 * L.MAX_CUSTOMERS,
        by_regime=L.MAX_CUSTOMERS,
    ),
    Slot(
        L.CUSTOMER_RENEWAL,
        "probability",
        ("customers[].renewal_probability", "customers[].glut_renewal_probability"),
        per_customer_by_regime(
            lambda customer: customer.renewal_probability, lambda customer: customer.glut_renewal_probability
        ),
        2 * L.MAX_CUSTOMERS,
        by_regime=L.MAX_CUSTOMERS,
    ),
    Slot(
        L.CUSTOMER_RENEWAL_DISCOUNT,
        "share",
        ("customers[].renewal_discount",),
        per_customer(lambda customer: customer.renewal_discount),
        L.MAX_CUSTOMERS,
    ),
    Slot(
        L.CUSTOMER_DELAY_LIMIT,
        "months",
        ("customers[].delay_limit_months",),
        per_customer(lambda customer: customer.delay_limit_months),
        L.MAX_CUSTOMERS,
    ),
    Slot(
        L.CUSTOMER_TERMINATES,
        "1 walks away / 0",
        ("customers[].terminates_on_delay",),
        per_customer(lambda customer: float(customer.terminates_on_delay)),
        L.MAX_CUSTOMERS,
    ),
    Slot(
        L.CUSTOMER_DELAY_PENALTY,
        "share of a month's value",
        ("customers[].delay_penalty",),
        per_customer(lambda customer: customer.delay_penalty),
        L.MAX_CUSTOMERS,
    ),
)


def sold_with_a_pool(f, cohort):
    """Whether a pool's lenders would sell a contract on ``cohort`` (-1: fleet-wide) with its GPUs at a default:
    [recovery] contract_value, and ``pooled(f, cohort)``."""
    return f.v[L.RECOVERY_CONTRACTS] > 0 and pooled(f, cohort)


def pooled(f, cohort):
    """Whether a pool holds a share of ``cohort`` (-1, a fleet-wide contract's: of any cohort)."""
    v = f.v
    pooled = 0
    for p in range(int(v[L.POOL_COUNT])):
        pooled |= int(v[L.POOL_COHORTS + p])
    return pooled != 0 if cohort < 0 else (pooled >> cohort) & 1 == 1


def customers_rule(f):
    v = f.v
    for i in range(f.customers):
        who = f.customer(i)
        renewals = [L.CUSTOMER_RENEWAL + i, L.CUSTOMER_RENEWAL + L.MAX_CUSTOMERS + i]
        fixed_end = v[L.CUSTOMER_END + i] >= 0  # a first term to end_month: its term is a renewal's length only
        renewal_terms = [L.CUSTOMER_RENEWAL_DISCOUNT + i] + ([L.CUSTOMER_TERM + i] if fixed_end else [])
        cohort = int(v[L.CUSTOMER_COHORT + i])
        if fixed_end:
            first_end = v[L.CUSTOMER_END + i]
        else:
            first_end = delivery_window(f, cohort)[1] + v[L.CUSTOMER_TERM + i] - 1
        if f.base_case:
            hazards = [L.CUSTOMER_HAZARD + i, L.CUSTOMER_HAZARD + L.MAX_CUSTOMERS + i]
            yield [*renewals, *renewal_terms, *hazards], f"{BASE_CASE_REASON}: no renewal, no customer default"
        elif first_end >= f.horizon:
            reason = f"{who}'s first term runs to the horizon (month {f.horizon}): it never renews"
            yield [*renewals, *renewal_terms], reason
        elif not any(probability > 0 for probability in f.by_regime(L.CUSTOMER_RENEWAL + i, L.MAX_CUSTOMERS)):
            yield [*renewals, *renewal_terms], f"{who}.renewal_probability is 0 (it never renews)"
        # How its first term is set no longer matters once it outlasts the run, unless a pool's lenders would
        # sell the contract for the months it has left ([recovery] contract_value).
        if first_end >= f.horizon and not sold_with_a_pool(f, cohort):
            yield [L.CUSTOMER_END + i, L.CUSTOMER_TERM + i], f"{who}'s first term runs to the horizon"
        remedies = [L.CUSTOMER_TERMINATES + i, L.CUSTOMER_DELAY_PENALTY + i]
        if cohort < 0:
            yield [L.CUSTOMER_DELAY_LIMIT + i, *remedies], f"{who} is a fleet-wide contract (no delivery to wait for)"
            continue
        # A remedy applies in a month it still waits for its cohort, more than delay_limit_months late.
        planned, _, last = delivery_window(f, cohort)
        waits_until = min(f.horizon, last - 1)  # the last month it can still be waiting for its cohort
        every = [L.CUSTOMER_DELAY_LIMIT + i, *remedies]
        if max(1.0, planned) > waits_until:
            yield every, f"{who}'s cohort is never late"
        elif v[L.CUSTOMER_TERMINATES + i] == 0 and v[L.CUSTOMER_DELAY_PENALTY + i] == 0:
            yield every, f"{who}.delay_penalty is 0 and it does not walk away (no remedy)"
        elif max(1.0, planned + v[L.CUSTOMER_DELAY_LIMIT + i]) > waits_until:
            yield every, f"{who}'s cohort is never more than its delay_limit_months late"
        elif v[L.CUSTOMER_TERMINATES + i] > 0:
            yield [L.CUSTOMER_DELAY_PENALTY + i], f"{who}.terminates_on_delay is true (it walks away: no penalty)"


RULES = (
    # renewals that never happen, delay remedies that never apply; a fixed charge after the horizon still
    # counts (the lease liability, a landlord's claim)
    ("customers", customers_rule),
)


def contract_events(config, month, cause):
    """Contracts that end this month or ended the month before."""
    events = []
    for contract in config.get("customers") or []:
        end = month_of(contract.get("end_month"))
        if end is not None and end in (month, month - 1):
            when = "ends then" if end == month else f"ended in month {end}"
            events.append(f"contract {contract.get('name')!r} {when}")
    return events


def charge_events(config, month, cause):
    """Fixed charges that start this month."""
    return [
        f"fixed charge {charge.get('name')!r} starts then"
        for charge in config.get("obligations") or []
        if month_of(charge.get("start_month")) == month and month > 1
    ]


EVENTS = (("contracts", contract_events), ("charges", charge_events))


# --- the per-path outputs it writes (name: (unit, description[, values])) and its statement lines ---
FIELDS = {}
STATEMENT_LINES = ("revenue_contracted", "fixed_charges", "delay_penalties")

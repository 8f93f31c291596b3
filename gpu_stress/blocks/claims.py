"""Claims: the fixed charges' counterparties (landlords, equipment lessors, power suppliers) as creditors.

With ``[claims] fixed_charges = true`` a lease or power contract is an obligation, not only a cost: a month
whose cash falls short of its fixed charges is an issuer default (cause ``lease``), a firm owing no lender
but still owing rent defaults on its leases, and at the parent's default every counterparty's claim
(arrears and rejection damages, a real-property lease's bounded by 11 U.S.C. § 502(b)(6)) ranks in the
estate beside the lenders at ``rank``. Lease-adjusted debt (debt + the present value of the fixed charges
left) and its leverage are reported either way. kernels/claims.py gives the rules.
"""

import math

from ..config.types import Section, between
from ..kernels import layout as L
from .contracts import per_charge
from .slots import Slot

# --- the config section (schema) ---


class Claims(Section):
    """Whether the fixed charges' counterparties are creditors, where they rank, and how leases are capitalised."""

    fixed_charges: bool = True  # leases and power contracts are claims (false: costs only, as before issue 29)
    rank: between(1, L.MAX_RANK, int) = 2  # in the estate: general unsecured (the presets' unsecured notes)
    discount_rate: between(0, 1) = 0.10  # annual: the lease liability's (lease-adjusted debt)


# --- its home in the config, and the kernel functions that read its slots (kernels/<module>.py) ---
SECTIONS = {"claims": Claims}
KERNEL = (
    "firm.firm_step",
    "capital.share_by_rank",
    "capital.settle_parent",
    "claims.lease_claim",
    "claims.lease_liability",
)

SLOTS = (
    Slot(L.CLAIMS_ON, "1 claims / 0", ("claims.fixed_charges",), lambda c: float(c.claims.fixed_charges)),
    Slot(L.CLAIMS_RANK, "rank", ("claims.rank",), lambda c: c.claims.rank),
    Slot(
        L.LEASE_LOG_DISCOUNT,
        "ln discount per month",
        ("claims.discount_rate",),
        lambda c: math.log1p(c.claims.discount_rate) / L.MONTHS_PER_YEAR,
    ),
    Slot(
        L.OBLIGATION_CAPPED,
        "1 real property / 0",
        ("obligations[].kind", "cohorts[].lease_per_kw_month"),
        per_charge(lambda charge: float(charge.kind == "real_property")),
        L.MAX_OBLIGATIONS,
    ),
    Slot(
        L.OBLIGATION_CLAIM_SHARE,
        "share",
        ("obligations[].claim_share", "cohorts[].lease_per_kw_month"),
        per_charge(lambda charge: charge.claim_share),
        L.MAX_OBLIGATIONS,
    ),
)


def claims_rule(f):
    """No fixed charge: nothing to claim or capitalise; claims off: nothing to claim; no tranche in the estate:
    the counterparties' rank is their own."""
    v = f.v
    charges = int(v[L.OBLIGATION_COUNT])
    per_charge_slots = [block + k for block in (L.OBLIGATION_CAPPED, L.OBLIGATION_CLAIM_SHARE) for k in range(charges)]
    if charges == 0:
        yield [L.CLAIMS_ON, L.CLAIMS_RANK, L.LEASE_LOG_DISCOUNT], "the firm has no lease or power contract"
        return
    if v[L.CLAIMS_ON] <= 0:
        yield [L.CLAIMS_RANK, *per_charge_slots], "claims.fixed_charges is false (leases are costs only)"
        return
    in_estate = [
        j for j in f.owed if v[L.TRANCHE_POOL + j] < 0 or v[L.POOL_RING_FENCED + int(v[L.TRANCHE_POOL + j])] <= 0
    ]
    if not in_estate:
        yield [L.CLAIMS_RANK], "no tranche claims in the estate (the counterparties share it alone)"


RULES = (("claims", claims_rule),)
EVENTS = ()

# --- the per-path outputs it writes (name: (unit, description)) and its statement lines ---
FIELDS = {
    "lease_claim": (
        "USD",
        "at the parent's default, with [claims]: what the landlords, lessors and power suppliers claim (this "
        "month's unpaid fixed charges and their rejection damages, a real-property lease's capped as 11 U.S.C. "
        "502(b)(6) caps them); 0 without a default or claims",
    ),
    "lease_recovery": ("USD", "what the waterfall paid those claims"),
    "lease_adjusted_debt": (
        "USD",
        "debt plus the lease liability (the fixed charges left, discounted at claims.discount_rate) in the path's "
        "last month: at the parent's default the debt in default, else at the horizon",
    ),
    "lease_adjusted_leverage": (
        "1",
        "lease_adjusted_debt over the trailing quarter's EBITDAR (EBITDA + fixed charges) annualised; 1000 when "
        "EBITDAR is not positive",
    ),
}
STATEMENT_LINES = ("lease_liability", "lease_adjusted_debt", "lease_adjusted_leverage")

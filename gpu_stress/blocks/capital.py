"""Capital structure and waterfall: pools of collateral, ring-fencing, ranks, reserves, cash sweeps, borrowing bases."""

from ..config.types import Name, Section, between
from ..kernels import layout as L
from .slots import Slot, per_pool, per_tranche

# --- the config sections (schema) ---


class Pool(Section):
    """A security pool: ``share`` of each listed cohort's GPUs and of their cash flows, pledged to
    the tranches that name it. A ``ring_fenced`` pool serves its tranches from its own cash flow
    and reserve, and defaults on its own when they fall short (the parent too if ``cross_default``)."""

    name: Name
    cohorts: list[str]  # cohort names; "installed" for [firm]'s fleet
    share: between(0.001, 1) = 1.0
    reserve_months: between(0, 24) = 0.0  # debt-service reserve: months of its tranches' scheduled service
    ring_fenced: bool = False
    cross_default: bool = True


def _pooled_cohorts(config, pool):
    """Bit mask of the cohorts the pool holds a share of (bit c: cohort c)."""
    return float(sum(1 << config.cohort_index(name) for name in pool.cohorts))


# --- its home in the config, and the kernel functions that read its slots (kernels/<module>.py) ---
SECTIONS = {
    "pools": Pool,
}
KERNEL = (
    "capital.in_pool",
    "capital.pool_share_of",
    "capital.pool_tests",
    "capital.settles",
    "capital.borrowing_base",
    "capital.top_up_reserves",
    "capital.cash_sweep",
)


SLOTS = (
    Slot(L.POOL_COUNT, "pools", ("pools",), lambda c: len(c.pools)),
    Slot(
        L.POOL_COHORTS,
        "bit mask of cohorts",
        ("pools[].cohorts",),
        per_pool(lambda pool, c: _pooled_cohorts(c, pool)),
        L.MAX_POOLS,
    ),
    Slot(L.POOL_SHARE, "share", ("pools[].share",), per_pool(lambda pool, c: pool.share), L.MAX_POOLS),
    Slot(
        L.POOL_RESERVE_MONTHS,
        "months of service",
        ("pools[].reserve_months",),
        per_pool(lambda pool, c: pool.reserve_months),
        L.MAX_POOLS,
    ),
    Slot(
        L.POOL_RING_FENCED,
        "1 ring-fenced / 0",
        ("pools[].ring_fenced",),
        per_pool(lambda pool, c: float(pool.ring_fenced)),
        L.MAX_POOLS,
    ),
    Slot(
        L.POOL_CROSS_DEFAULT,
        "1 cross-default / 0",
        ("pools[].cross_default",),
        per_pool(lambda pool, c: float(pool.cross_default)),
        L.MAX_POOLS,
    ),
    Slot(
        L.TRANCHE_POOL,
        "pool index (-1 unsecured)",
        ("debt[].pool",),
        lambda c: (
            [-1.0 if t.pool is None else float(c.pool_index(t.pool)) for t in c.debt]
            + [-1.0] * (L.MAX_TRANCHES - len(c.debt))
        ),
        L.MAX_TRANCHES,
    ),
    Slot(
        L.TRANCHE_RANK, "rank (1 senior)", ("debt[].rank",), per_tranche(lambda t: t.rank, padding=1.0), L.MAX_TRANCHES
    ),
    Slot(L.TRANCHE_SWEEP, "share", ("debt[].cash_sweep",), per_tranche(lambda t: t.cash_sweep), L.MAX_TRANCHES),
    Slot(L.TRANCHE_SWEEP_DSCR, "ratio", ("debt[].sweep_dscr",), per_tranche(lambda t: t.sweep_dscr), L.MAX_TRANCHES),
    Slot(
        L.TRANCHE_BORROWING_BASE,
        "ratio (0 off)",
        ("debt[].borrowing_base",),
        per_tranche(lambda t: t.borrowing_base),
        L.MAX_TRANCHES,
    ),
)


def ranks_rule(f):
    """A tranche's rank matters only against another tranche it shares a round of the waterfall with, or against
    the fixed charges' counterparties ([claims]) in the estate."""
    v = f.v
    landlords = v[L.CLAIMS_ON] > 0 and v[L.OBLIGATION_COUNT] > 0

    def ring_fenced(j):
        pool = int(v[L.TRANCHE_POOL + j])
        return pool >= 0 and v[L.POOL_RING_FENCED + pool] > 0

    for j in f.owed:
        pool = int(v[L.TRANCHE_POOL + j])
        rivals = [
            k
            for k in f.owed
            if k != j and ((pool >= 0 and int(v[L.TRANCHE_POOL + k]) == pool) or not (ring_fenced(j) or ring_fenced(k)))
        ]
        if not rivals and not (landlords and not ring_fenced(j)):
            yield [L.TRANCHE_RANK + j], f"{f.tranche(j)} shares no round of the waterfall with another tranche"


def pools_rule(f):
    v = f.v
    for p in range(f.pools):
        blocks = [L.POOL_RESERVE_MONTHS + p, L.POOL_RING_FENCED + p, L.POOL_CROSS_DEFAULT + p]
        if not any(int(v[L.TRANCHE_POOL + j]) == p for j in f.owed):
            yield blocks, f"no tranche is secured by {f.pool(p)}"
        elif v[L.POOL_RING_FENCED + p] == 0:
            yield blocks[2:], f"{f.pool(p)}.ring_fenced is false"


RULES = (
    ("ranks", ranks_rule),  # a tranche alone in its rounds of the waterfall
    ("pools", pools_rule),  # a pool no tranche uses; cross-default of a pool that is not ring-fenced
)


EVENTS = ()  # no dated event of its own in a scenario's config


# --- the per-path outputs it writes (name: (unit, description[, values])) and its statement lines ---
FIELDS = {"recovery": ("USD", "what the tranche's lenders recovered in the waterfall (0: no default)")}
STATEMENT_LINES = ("prepaid", "reserve_drawn", "reserves")

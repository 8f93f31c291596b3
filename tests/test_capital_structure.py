"""The capital structure against hand computations: the waterfall by tranche, pools that default on their
own, reserves, borrowing base, cash sweep, partial refinancing, equity raises, the capacity backstop and
vendor financing; and the limits where it reduces to simpler models, path by path."""

import itertools

import numpy as np
import pytest

from conftest import HOST_BACKENDS
from gpu_stress.kernels import layout as L
from helpers import (
    CAPITAL_STRUCTURE,
    FLAT_FIRM,
    FULL_MODEL,
    assert_same_paths,
    config_of,
    simulate,
    statement_of,
    table_with,
)

CENT = 0.005  # $: "to the cent"


def column(statement, name):
    return statement[:, L.STATEMENT_NAMES.index(name)]


def tranche(result, name, j):
    return result[f"tranche_{name}_{j}"]


# --- the waterfall, by hand -------------------------------------------------------------------------

# A flat market and no age decay, so that every value is a round number; month 1 cannot be paid.
# Collateral at month 1: installed 1,000 x $30,000 = $30M, cohort "b" 500 x $40,000 = $20M.
# Pool "p1" holds 60 % of the installed fleet ($18M), pool "p2" all of "b" ($20M); $12M is unpledged.
# Cash before service: $20M + spot revenue 1,500 x 730 x 0.8 x $0.01 - fixed opex $19.8M = $208,760.
# Service due: 1 % a month on $25M + $6M + $10M = $410,000 > cash: a liquidity default in month 1.
WATERFALL = {
    "simulation": {"paths": 1, "horizon_months": 12, "seed": 1, "base_case": True},
    "market": {
        "price": {"initial": 0.01, "drift": 0.0, "volatility": 0.0},
        "utilization": {"enabled": False, "initial": 0.8},
    },
    "firm": {
        "gpus": 1000,
        "gpu_cost": 30_000.0,
        "power_kw": 0.0,
        "opex_per_gpu_month": 0.0,
        "fixed_opex_month": 19.8e6,
        "cash": 20e6,
    },
    "cohorts": [{"name": "b", "gpus": 500, "gpu_cost": 40_000.0, "delivery_month": 0, "power_kw": 0.0}],
    "collateral": {"age_decay": 0.0, "price_elasticity": 1.0, "fire_sale_haircut": 0.5},
    "pools": [
        {"name": "p1", "cohorts": ["installed"], "share": 0.6},
        {"name": "p2", "cohorts": ["b"], "share": 1.0},
    ],
    "debt": [
        {"name": "A", "principal": 25e6, "rate": 0.12, "maturity_month": 60, "pool": "p1"},
        {"name": "B", "principal": 6e6, "rate": 0.12, "maturity_month": 60, "pool": "p2"},
        {"name": "C", "principal": 10e6, "rate": 0.12, "maturity_month": 60},
    ],
}
CASH_AT_DEFAULT = 20e6 + 1500 * 730 * 0.8 * 0.01 - 19.8e6


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_a_three_tranche_two_pool_waterfall_matches_the_hand_computation_to_the_cent(backend):
    result = simulate(config_of(WATERFALL), backend)
    assert result["default_month"][0] == 1 and result["default_cause"][0] == L.LIQUIDITY
    # A: its pool sells for 0.5 x $18M; B: 0.5 x $20M covers its $6M and leaves $4M to the estate.
    # Estate: cash + 0.5 x $12M unpledged + $4M; A's $16M shortfall and C's $10M share it pro rata (rank 1).
    estate = CASH_AT_DEFAULT + 0.5 * 12e6 + 4e6
    expected = [9e6 + estate * 16 / 26, 6e6, estate * 10 / 26]
    for j, ead in enumerate([25e6, 6e6, 10e6]):
        assert tranche(result, "default_month", j)[0] == 1
        assert tranche(result, "ead", j)[0] == ead
        assert tranche(result, "recovery", j)[0] == pytest.approx(expected[j], abs=CENT)
    losses = [25e6, 6e6, 10e6] - np.array([tranche(result, "recovery", j)[0] for j in range(3)])
    assert result["loss"][0] == pytest.approx(losses.sum(), abs=CENT)
    # In all, lenders recover min(EAD, cash + V x (1 - haircut)), as with no pools.
    assert result["loss"][0] == pytest.approx(41e6 - (CASH_AT_DEFAULT + 0.5 * 50e6), abs=CENT)


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_a_junior_unsecured_tranche_recovers_only_after_the_senior_shortfall_is_paid(backend):
    junior = table_with(
        WATERFALL, {"debt": [WATERFALL["debt"][0], WATERFALL["debt"][1], WATERFALL["debt"][2] | {"rank": 2}]}
    )
    result = simulate(config_of(junior), backend)
    estate = CASH_AT_DEFAULT + 0.5 * 12e6 + 4e6  # less than A's $16M shortfall
    assert tranche(result, "recovery", 0)[0] == pytest.approx(9e6 + estate, abs=CENT)
    assert tranche(result, "recovery", 2)[0] == 0.0


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_with_no_pools_every_tranche_recovers_the_same_share_of_its_exposure(backend):
    unpooled = table_with(WATERFALL, {"pools": []})
    unpooled["debt"] = [{key: value for key, value in t.items() if key != "pool"} for t in WATERFALL["debt"]]
    result = simulate(config_of(unpooled), backend)
    share = (CASH_AT_DEFAULT + 0.5 * 50e6) / 41e6
    for j, ead in enumerate([25e6, 6e6, 10e6]):
        assert tranche(result, "recovery", j)[0] == pytest.approx(share * ead, abs=CENT)


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_tranche_outcomes_are_consistent_on_every_path_of_a_random_run(backend):
    result = simulate(config_of(CAPITAL_STRUCTURE), backend)
    defaulted = result["default_month"] > 0
    assert defaulted.any() and not defaulted.all()  # the run has defaults and survivors to compare
    assert (result["default_cause"] == L.POOL_DEFAULT).any()  # and ring-fenced pools that failed alone
    assert (result["loss"][defaulted] > 0).any()
    for j in range(len(CAPITAL_STRUCTURE["debt"])):  # a tranche in default is one of a path that defaulted, not later
        months = tranche(result, "default_month", j)
        assert np.all(months[months > 0] >= result["default_month"][months > 0])
        assert np.all(tranche(result, "ead", j)[months < 0] == 0)
        recovery, ead = tranche(result, "recovery", j), tranche(result, "ead", j)
        assert np.all((recovery >= 0) & (recovery <= ead * (1 + 1e-12)))


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_the_tranches_losses_add_up_to_what_the_firm_could_not_pay_from_its_statement(backend):
    # No ring-fenced pool: at the parent's default the lenders and the landlord share max(cash, 0) + V x
    # (1 - haircut) + reserves, whatever the pools and ranks; the statement's own lines of that month give each term.
    recourse = table_with(CAPITAL_STRUCTURE, {"simulation": {"paths": 60}})
    recourse["pools"] = [pool | {"ring_fenced": False} for pool in CAPITAL_STRUCTURE["pools"]]
    result = simulate(config_of(recourse), backend)
    ended = np.flatnonzero(result["default_month"] > 0)[:8]
    assert len(ended) == 8
    for path in ended:
        line = statement_of(recourse, backend, int(path))[result["default_month"][path] - 1]
        ead = line[L.STATEMENT_DEBT]
        assets = max(line[L.STATEMENT_CASH], 0) + 0.45 * line[L.STATEMENT_FLEET_VALUE] + line[L.STATEMENT_RESERVES]
        losses = sum(tranche(result, "ead", j)[path] - tranche(result, "recovery", j)[path] for j in range(5))
        claim = result["lease_claim"][path]
        landlord_loss = claim - result["lease_recovery"][path]
        assert claim > 0  # the fixed charge's landlord claims beside the lenders
        assert losses + landlord_loss == pytest.approx(ead + claim - min(ead + claim, assets), rel=1e-9, abs=CENT)
        assert result["loss"][path] == pytest.approx(losses, rel=1e-12, abs=CENT)


# --- partial refinancing -----------------------------------------------------------------------------

# Floating bullets whose spread equals the refinancing spread in both regimes: a balloon rolled whole is
# the same loan with a later maturity. No covenants: every default is a cash shortfall.
ROLLING = table_with(
    FULL_MODEL,
    {
        "covenants": {"ltv_max": 0.0, "dscr_min": 0.0},
        "refinancing": {
            "enabled": True,
            "max_ltv": 1000.0,
            "spread": 0.05,
            "glut_spread": 0.05,
            "open_in_glut": True,
            "term_months": 36,
        },
    },
)
ROLLING["debt"] = [
    FULL_MODEL["debt"][0],
    {"name": "notes", "principal": 200e6, "rate_type": "floating", "spread": 0.05, "maturity_month": 30},
    {"name": "rcf", "principal": 50e6, "rate_type": "floating", "spread": 0.05, "maturity_month": 24},
]


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_with_the_gate_always_open_and_no_ltv_limit_pd_is_that_of_cash_shortfalls_alone_path_by_path(backend):
    rolled = simulate(config_of(ROLLING), backend)
    never_due = table_with(ROLLING)
    never_due["debt"] = [ROLLING["debt"][0]] + [t | {"maturity_month": 1200} for t in ROLLING["debt"][1:]]
    assert_same_paths(rolled, simulate(config_of(never_due), backend))
    defaulted = rolled["default_month"] > 0
    assert defaulted.any() and np.all(np.isin(rolled["default_cause"][defaulted], [L.LIQUIDITY, L.LEASE]))
    # The balloons mattered: with lenders shut they cause defaults of their own.
    shut = simulate(config_of(table_with(ROLLING, {"refinancing": {"enabled": False}})), backend)
    assert (shut["default_cause"] == L.REFINANCING).sum() > 0


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_partial_refinancing_with_a_max_ltv_of_zero_equals_refinancing_switched_off_path_by_path(backend):
    zero = simulate(config_of(table_with(FULL_MODEL, {"refinancing": {"max_ltv": 0.0}})), backend)
    off = simulate(config_of(table_with(FULL_MODEL, {"refinancing": {"enabled": False}})), backend)
    assert_same_paths(zero, off)
    assert (off["default_cause"] == L.REFINANCING).any()


# A $60M balloon in month 6 against $100M of collateral, $20M of other debt and a 50 % LTV limit:
# lenders roll $30M (0.5 x $100M - $20M), the firm pays $30M from cash.
BALLOON = table_with(FLAT_FIRM) | {
    "refinancing": {"enabled": True, "max_ltv": 0.5, "spread": 0.07, "leverage_spread": 0.1, "term_months": 24},
    "debt": [
        {"name": "bullet", "principal": 60e6, "rate": 0.06, "maturity_month": 6},
        {"name": "term", "principal": 20e6, "rate": 0.06, "maturity_month": 120},
    ],
}


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_partial_refinancing_rolls_what_the_ltv_limit_allows_and_prices_it_by_leverage(backend):
    statement = statement_of(BALLOON, backend)
    month = 6 - 1
    assert column(statement, "refinanced")[month] == pytest.approx(30e6, abs=CENT)
    assert column(statement, "principal_0")[month] == pytest.approx(30e6, abs=CENT)
    # The new loan pays the regime spread + 0.1 x LTV (80 / 100) over the short rate (no floor, 4.3 %).
    assert column(statement, "interest_0")[month + 1] == pytest.approx(30e6 * (0.043 + 0.07 + 0.1 * 0.8) / 12, abs=CENT)
    whole = statement_of(table_with(BALLOON, {"refinancing": {"partial": False}}), backend)
    assert column(whole, "refinanced")[month] == 0.0  # LTV 0.8 > 0.5: all or nothing rolls nothing


# --- facility mechanics ----------------------------------------------------------------------------


def mechanics(**debt):
    """BALLOON's firm with one pooled term loan carrying ``debt``'s extra keys, and no refinancing."""
    table = table_with(BALLOON, {"refinancing": {"enabled": False}, "collateral": {"age_decay": 0.12}})
    table["pools"] = [{"name": "fleet", "cohorts": ["installed"], "share": 0.5, "reserve_months": 3.0}]
    table["debt"] = [
        {
            "name": "term",
            "principal": 40e6,
            "rate": 0.06,
            "amortization": "linear",
            "maturity_month": 40,
            "pool": "fleet",
        }
        | debt
    ]
    return table


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_the_reserve_holds_its_months_of_scheduled_service_and_a_borrowing_base_prepays_as_value_decays(backend):
    statement = statement_of(mechanics(borrowing_base=0.6), backend)
    # Month 1: the pool is worth 0.5 x $100M x 0.88^(1/12); the loan may be 60 % of it.
    pool_value = 0.5 * 100e6 * 0.88 ** (1 / 12)
    service = 40e6 * 0.06 / 12 + 40e6 / 40
    assert column(statement, "prepaid")[0] == pytest.approx(40e6 - 1e6 - 0.6 * pool_value, abs=CENT)
    assert column(statement, "reserves")[0] == pytest.approx(3 * service, abs=CENT)
    assert column(statement, "principal_0")[0] == pytest.approx(1e6, abs=CENT)
    # From then on the loan stays within 60 % of the decaying pool (amortization keeps it below).
    pool = 0.5 * 100e6 * 0.88 ** (np.arange(1, 13) / 12)
    assert np.all(column(statement, "debt") <= 0.6 * pool * (1 + 1e-12))


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_a_borrowing_base_excess_that_cash_cannot_prepay_is_an_ltv_default(backend):
    # $1M of cash: after month 1's $1.2M of service, $2.136M is left to prepay the $12.5M excess.
    result = simulate(config_of(table_with(mechanics(borrowing_base=0.6), {"firm": {"cash": 1e6}})), backend)
    assert result["default_month"][0] == 1 and result["default_cause"][0] == L.LTV_BREACH
    cash_after_service = 1e6 + 2000 * 730 * 0.8 * 2.0 - 1.2e6
    assert tranche(result, "ead", 0)[0] == pytest.approx(39e6 - cash_after_service, abs=CENT)


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_a_cash_sweep_prepays_its_share_of_ebitda_above_the_kept_cover(backend):
    statement = statement_of(mechanics(cash_sweep=0.5, sweep_dscr=1.5), backend)
    ebitda = 2000 * 730 * 0.8 * 2.0  # flat market, no costs
    scheduled = 40e6 * 0.06 / 12 + 40e6 / 40
    assert column(statement, "ebitda")[0] == pytest.approx(ebitda, abs=CENT)
    assert column(statement, "prepaid")[0] == pytest.approx(0.5 * (ebitda - 1.5 * scheduled), abs=CENT)


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_a_reserve_pays_its_pool_in_a_month_cash_cannot(backend):
    # Month 1 ends with $50M + $2.336M EBITDA - $1.2M service - $3.6M into the reserve = $47.536M of cash;
    # month 2's one-off charge leaves $0.5M before its $1.195M of service: the reserve pays $0.695M.
    table = mechanics()
    table["obligations"] = [{"name": "one-off", "monthly": 49.372e6, "start_month": 2, "end_month": 2}]
    statement = statement_of(table, backend)
    assert column(statement, "event")[1] == L.NO_DEFAULT
    assert column(statement, "reserve_drawn")[1] == pytest.approx(0.695e6, abs=CENT)
    assert column(statement, "cash")[1] == pytest.approx(0.0, abs=CENT)
    assert column(statement, "reserves")[1] == pytest.approx(3.6e6 - 0.695e6, abs=CENT)  # no cash to top it up
    # The same cash with no reserve account: month 2 cannot be paid.
    without = table_with(table, {"firm": {"cash": 50e6 - 3.6e6}})
    without["pools"] = [table["pools"][0] | {"reserve_months": 0.0}]
    assert statement_of(without, backend)[1, L.STATEMENT_EVENT] == L.LIQUIDITY


# --- ring-fenced pools ------------------------------------------------------------------------------

# The pool's GPUs earn $0.01 an hour while its loan owes $1.1M a month: the pool cannot pay in month 1,
# the parent (rich in cash) could.
RING_FENCED = table_with(
    WATERFALL,
    {
        "firm": {"fixed_opex_month": 0.0, "cash": 500e6},
        "pools": [{"name": "p2", "cohorts": ["b"], "ring_fenced": True, "cross_default": False}],
    },
)
RING_FENCED["debt"] = [
    {"name": "B", "principal": 30e6, "rate": 0.12, "amortization": "linear", "maturity_month": 30, "pool": "p2"},
    {"name": "C", "principal": 10e6, "rate": 0.12, "maturity_month": 60},
]


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_a_ring_fenced_pool_defaults_on_its_own_and_its_lenders_take_its_assets_only(backend):
    result = simulate(config_of(RING_FENCED), backend)
    flow = 500 * 730 * 0.8 * 0.01  # the pool's month-1 cash flow (no power or opex)
    assert tranche(result, "default_month", 0)[0] == 1
    assert tranche(result, "recovery", 0)[0] == pytest.approx(0.5 * 20e6 + flow, abs=CENT)
    assert tranche(result, "default_month", 1)[0] == -1  # the parent lives on and pays C
    assert result["default_month"][0] == 1 and result["default_cause"][0] == L.POOL_DEFAULT
    statement = statement_of(RING_FENCED, backend)
    assert column(statement, "gpus")[1] == 1000  # the pool's GPUs were sold
    np.testing.assert_allclose(column(statement, "interest_1")[1:], 10e6 * 0.12 / 12, rtol=1e-12)
    crossed = simulate(
        config_of(table_with(RING_FENCED, {"pools": [RING_FENCED["pools"][0] | {"cross_default": True}]})), backend
    )
    assert tranche(crossed, "default_month", 1)[0] == 1
    assert tranche(crossed, "recovery", 1)[0] == 10e6  # a rich parent pays in full
    assert crossed["default_cause"][0] == L.POOL_DEFAULT


# --- equity ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_an_equity_raise_covers_a_shortfall_within_its_room_and_dilutes_the_holders(backend):
    # Revenue 1,500 x 730 x 0.8 x $1 = $876,000 a month covers the $410,000 of service, but month 1's
    # one-off charge leaves $376,000 of cash before it: a $34,000 shortfall.
    base = table_with(
        WATERFALL,
        {"firm": {"fixed_opex_month": 0.0}, "simulation": {"horizon_months": 3}, "market": {"price": {"initial": 1.0}}},
    )
    base["obligations"] = [{"name": "one-off", "monthly": 20.5e6, "start_month": 1, "end_month": 1}]
    assert simulate(config_of(base), backend)["default_month"][0] == 1
    raised = table_with(base, {"equity": {"enabled": True, "max_raise_per_year": 1.0, "cost": 0.2}})
    result = simulate(config_of(raised), backend)
    assert result["default_month"][0] == -1
    statement = statement_of(raised, backend)
    gross = 34_000 / 0.8
    assert column(statement, "equity_raised").tolist() == pytest.approx([gross, 0.0, 0.0], abs=CENT)
    assert result["equity_raised"][0] == pytest.approx(gross, abs=CENT)
    # The holders of month 0 keep E / (E + X), E the book equity before the raise: $376,000 + $50M - $41M.
    book = 376_000 + 50e6 - 41e6
    # The raise leaves no cash after month 1; months 2 and 3 each keep $876,000 - $410,000.
    assert column(statement, "cash")[-1] == pytest.approx(2 * 466_000, abs=CENT)
    net_worth = 2 * 466_000 + 50e6 - 41e6
    discount = np.exp(-3 * 0.043 / 12)
    assert result["equity_value"][0] == pytest.approx(book / (book + gross) * discount * net_worth, rel=1e-12)
    # A room of 0.1 % of the book equity ($9,376) is too small: no raise, the default stands.
    too_small = table_with(raised, {"equity": {"max_raise_per_year": 0.001}})
    assert simulate(config_of(too_small), backend)["default_month"][0] == 1


# --- support: the backstop and the vendor -----------------------------------------------------------


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_with_utilization_at_its_floor_the_backstop_pays_its_price_on_the_idle_hours_until_the_cap(backend):
    table = table_with(
        WATERFALL,
        {
            "simulation": {"horizon_months": 12},
            "firm": {"fixed_opex_month": 0.0, "cash": 50e6},
            "market": {"utilization": {"enabled": False, "initial": 0.001}},
            "backstop": {"cap": 5e6, "price": 2.0, "start_month": 2, "end_month": 10},
        },
    )
    monthly = 2.0 * 1500 * 730 * (1 - 0.001)  # $2.19M
    paid = column(statement_of(table, backend), "backstop")
    expected = [0.0, monthly, monthly, 5e6 - 2 * monthly] + [0.0] * 8
    np.testing.assert_allclose(paid, expected, rtol=1e-12, atol=CENT)


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_the_backstop_never_pays_more_than_its_cap_path_by_path(backend):
    result = simulate(config_of(CAPITAL_STRUCTURE), backend)
    assert np.all(result["backstop_paid"] <= 30e6 * (1 + 1e-12))
    assert (result["backstop_paid"] > 0).mean() > 0.5
    # Its counterparty's default only ever stops payments: on paths where the firm lives, it pays at most
    # what a backstop that cannot fail pays, and less on some.
    safe = simulate(
        config_of(table_with(CAPITAL_STRUCTURE, {"backstop": {"annual_default_probability": 0.0}})), backend
    )
    living = (result["default_month"] < 0) & (safe["default_month"] < 0)
    assert living.sum() > 20
    assert np.all(result["backstop_paid"][living] <= safe["backstop_paid"][living] * (1 + 1e-12))
    assert (result["backstop_paid"][living] < safe["backstop_paid"][living] * (1 - 1e-9)).any()


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_a_vendor_that_stops_financing_lapses_its_commitments(backend):
    certain = table_with(CAPITAL_STRUCTURE, {"vendor": {"annual_default_probability": 1.0}})
    none = table_with(CAPITAL_STRUCTURE)
    none["debt"] = [dict(t) for t in CAPITAL_STRUCTURE["debt"]]
    none["debt"][1] = none["debt"][1] | {"commitment": 0.0}
    assert_same_paths(simulate(config_of(certain), backend), simulate(config_of(none), backend))


# --- the secured lender's LGD against its advance rate -----------------------------------------------


def test_a_secured_tranches_lgd_falls_as_its_advance_rate_falls():
    """Common random numbers: on the paths where the facility defaults at both advance rates, its LGD at the
    lower rate is lower on average, by more than 4 standard errors of the paired difference."""
    lgd = []
    for advance in (0.9, 0.7, 0.5, 0.3):
        table = table_with(CAPITAL_STRUCTURE, {"simulation": {"paths": 4000}})
        table["debt"] = [dict(t) for t in CAPITAL_STRUCTURE["debt"]]
        table["debt"][1] = table["debt"][1] | {"advance_rate": advance, "commitment": 30e6, "vendor": False}
        result = simulate(config_of(table), "cpu")
        ead, recovery = tranche(result, "ead", 1), tranche(result, "recovery", 1)
        lgd.append(np.where(ead > 0, (ead - recovery) / np.where(ead > 0, ead, 1), np.nan))
    for higher, lower in itertools.pairwise(lgd):
        both = ~np.isnan(higher) & ~np.isnan(lower)
        difference = higher[both] - lower[both]
        assert both.sum() > 200
        assert difference.mean() > 4 * difference.std(ddof=1) / np.sqrt(both.sum())


# --- the results: tranche tables and summarize --by-tranche -----------------------------------------


def test_a_run_writes_the_tranche_tables_and_summarize_shows_them(tmp_path):
    import json

    import pyarrow.dataset as ds
    from click.testing import CliRunner

    from gpu_stress.cli import main
    from gpu_stress.results import store

    output = tmp_path / "cw"
    runner = CliRunner()
    arguments = ["run", "--preset", "coreweave", "--paths", "600", "--seed", "5", "--backend", "cpu", "-o", str(output)]
    assert runner.invoke(main, arguments).exit_code == 0
    assert runner.invoke(main, ["verify", str(output)]).exit_code == 0
    tranches = store.read_table(output / "tranches.arrow").to_pylist()
    assert [row["tranche"] for row in tranches] == list(range(10))
    rows = ds.dataset(output / "tranches", format="ipc").to_table()
    assert rows.num_rows == 600 * 10
    for row in tranches:  # EL and PD of the summary are the mean loss and default share of the per-path rows
        mine = rows.filter(ds.field("tranche") == row["tranche"])
        assert row["expected_loss"] == pytest.approx(np.mean(mine["loss"].to_numpy()), rel=1e-12)
        assert row["pd"] == pytest.approx(1 - mine["default_month"].null_count / 600, rel=1e-15)
    # Path by path, the per-tranche rows add up to the per-path table's EAD and loss.
    paths = ds.dataset(output / "paths", format="ipc").to_table().sort_by("path_id")
    by_path = rows.group_by("path_id").aggregate([("ead", "sum"), ("loss", "sum")]).sort_by("path_id")
    np.testing.assert_allclose(by_path["ead_sum"].to_numpy(), paths["ead"].to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(by_path["loss_sum"].to_numpy(), paths["loss"].to_numpy(), rtol=1e-12, atol=1e-3)
    assert (paths["loss"].to_numpy() > 0).any()
    scenario = store.read_table(output / "scenarios.arrow").to_pylist()[0]
    assert sum(row["expected_loss"] for row in tranches) == pytest.approx(scenario["expected_loss"], rel=1e-12)
    pools = {row["name"]: row["pool"] for row in tranches}
    assert pools["DDTL 1.0"] == "DDTL 1.0 SPV" and pools["2030 senior notes"] is None
    shown = runner.invoke(main, ["summarize", str(output), "--by-tranche"])
    assert shown.exit_code == 0 and "Contract DDTLs" in shown.output and "unsecured" in shown.output
    document = json.loads(runner.invoke(main, ["summarize", str(output), "--by-tranche", "--json"]).output)
    assert [row["name"] for row in document["tranches"]] == [row["name"] for row in tranches]


# --- rare branches, cpu against numpy ----------------------------------------------------------------

# Three ring-fenced pools (one with cross-default) and a tight borrowing base: several pools default in
# one month, a pool and the parent default in one month, and pools default the parent.
EDGES = table_with(CAPITAL_STRUCTURE, {"simulation": {"paths": 3000}})
EDGES["pools"] = [
    {"name": "fleet", "cohorts": ["installed"], "share": 0.5, "reserve_months": 2.0, "ring_fenced": True},
    {"name": "growth", "cohorts": ["newer"], "ring_fenced": True, "cross_default": False, "reserve_months": 1.0},
    {"name": "old", "cohorts": ["older"], "ring_fenced": True, "cross_default": False},
]
EDGES["debt"] = [dict(t) for t in CAPITAL_STRUCTURE["debt"]]
EDGES["debt"][0] = EDGES["debt"][0] | {"borrowing_base": 0.9}
EDGES["debt"][2] = EDGES["debt"][2] | {"pool": "old", "principal": 30e6}


def test_cpu_matches_numpy_where_pools_and_the_parent_default_together():
    config = config_of(EDGES)
    cpu = simulate(config, "cpu", tracked=100)
    assert_same_paths(cpu, simulate(config, "numpy", tracked=100))
    months = np.stack([cpu[f"tranche_default_month_{j}"] for j in range(5)])
    pool_month = [months[[0, 3]].max(axis=0), months[1], months[2]]  # tranches 0, 3 are the fleet pool's
    assert ((pool_month[1] > 0) & (pool_month[1] == pool_month[2])).any()  # two pools in one month
    assert ((months[4] > 0) & (months[4] == pool_month[1])).any()  # a pool and the parent in one month
    crossed = (pool_month[0] > 0) & (months[4] == pool_month[0])
    assert crossed.any() and np.all(cpu["default_cause"][crossed & (cpu["default_month"] == pool_month[0])] > 0)


def random_capital_structure(seed):
    """CAPITAL_STRUCTURE with pools, ranks, facility mechanics, equity, backstop and vendor drawn at random."""
    import random

    rng = random.Random(seed)
    table = table_with(CAPITAL_STRUCTURE, {"simulation": {"paths": 200, "horizon_months": 36, "seed": seed}})
    unpledged = {"installed": 1.0, "older": 1.0, "newer": 1.0}
    table["pools"] = []
    for index in range(rng.randint(0, 4)):
        cohorts = rng.sample(sorted(unpledged), rng.randint(1, 3))
        room = min(unpledged[cohort] for cohort in cohorts)
        if room < 0.05:
            continue
        share = round(rng.uniform(0.05, room), 3)
        for cohort in cohorts:
            unpledged[cohort] -= share
        pool = {"name": f"p{index}", "cohorts": cohorts, "share": share, "reserve_months": rng.choice([0, 1, 3])}
        table["pools"].append(pool | {"ring_fenced": rng.random() < 0.5, "cross_default": rng.random() < 0.5})
    table["debt"] = []
    for tranche in CAPITAL_STRUCTURE["debt"]:
        tranche = {key: value for key, value in tranche.items() if key != "pool"}
        if table["pools"] and rng.random() < 0.7:
            tranche["pool"] = rng.choice(table["pools"])["name"]
        tranche |= {"rank": rng.randint(1, 4), "borrowing_base": rng.choice([0, 0.8, 3.0])}
        tranche["vendor"] = rng.random() < 0.3
        tranche |= {"cash_sweep": rng.choice([0, 0.2, 1.0]), "sweep_dscr": rng.choice([0.5, 2.0])}
        table["debt"].append(tranche)
    table["equity"] = {"enabled": rng.random() < 0.5, "max_raise_per_year": rng.choice([0.1, 5.0]), "cost": 0.1}
    table["backstop"] |= {"cap": rng.choice([0, 3e7, 1e9]), "annual_default_probability": rng.choice([0, 1.0])}
    table["vendor"] = {"annual_default_probability": rng.choice([0, 0.3, 1.0])}
    table["refinancing"] |= {"partial": rng.random() < 0.8, "max_ltv": rng.choice([0, 0.9, 1000])}
    return table


@pytest.mark.parametrize("seed", range(16))
def test_cpu_matches_numpy_on_random_capital_structures(seed):
    # Money is compared to $1e-3 per $1M of the run's scale: a firm that an equity raise or a reserve leaves
    # at exactly zero cash keeps a rounding residue of about 1e-9 $, of either sign.
    config = config_of(random_capital_structure(seed))
    cpu, oracle = simulate(config, "cpu"), simulate(config, "numpy")
    for name in (name for name in cpu if name != "tracks"):
        if name.endswith("month") or name == "default_cause":
            np.testing.assert_array_equal(cpu[name], oracle[name], err_msg=name)
        else:
            scale = max(float(np.max(np.abs(oracle[name]), initial=0.0)), 1e6)
            np.testing.assert_allclose(cpu[name], oracle[name], rtol=1e-9, atol=1e-9 * scale, err_msg=name)
            assert np.all(np.isfinite(cpu[name])), name

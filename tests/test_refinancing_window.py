"""Refinancing before maturity and by the lenders' usual tests (issue 28, item 2), against hand computations;
its limits (a window of 0 and the LTV gate are the model without it, path by path); cpu against the oracle;
and monotone on common random numbers: PD falls as the window lengthens."""

import pytest

from conftest import HOST_BACKENDS
from helpers import (
    CAPITAL_STRUCTURE,
    FLAT_FIRM,
    FULL_MODEL,
    assert_falls_on_common_random_numbers,
    assert_same_paths,
    config_of,
    preset_config,
    simulate,
    statement_of,
    table_with,
)
from helpers import (
    statement_line as line,
)

CENT = 0.005  # $

# A flat market (price $2.00, utilization 0.8), no costs: EBITDA is 2,000 x 730 x 0.8 x $2 = $2.336M a
# month, $28.032M a year once a quarter has been lived; the fleet is worth $100M (no age decay).
# A $60M bullet matures in month 12; a $20M term loan in month 120; the short rate is 4.3 % (no floor).
EBITDA_MONTH = 2000 * 730 * 0.8 * 2.0
EBITDA_YEAR = 12 * EBITDA_MONTH
SHORT_RATE = 0.043
WINDOW = table_with(FLAT_FIRM, {"simulation": {"horizon_months": 14}}) | {
    "refinancing": {
        "enabled": True,
        "max_ltv": 0.9,
        "spread": 0.07,
        "leverage_spread": 0.1,
        "term_months": 24,
        "window_months": 6,
    },
    "debt": [
        {"name": "notes", "principal": 60e6, "rate": 0.06, "maturity_month": 12},
        {"name": "term", "principal": 20e6, "rate": 0.06, "maturity_month": 120},
    ],
}


def new_loan_interest(balance, ltv):
    """A month's interest on the new floating loan: the short rate + spread + leverage spread x LTV."""
    return balance * (SHORT_RATE + 0.07 + 0.1 * ltv) / 12


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_under_the_ltv_gate_the_notes_are_refinanced_in_the_first_month_of_the_window(backend):
    statement = statement_of(WINDOW, backend)
    # Month 6 is the first with 12 - 6 + 1 = 7 <= 6 + 1 payments left; LTV 80 / 100 <= 0.9.
    assert line(statement, "refinanced", 5) == 0.0
    assert line(statement, "interest_0", 5) == pytest.approx(60e6 * 0.06 / 12, abs=CENT)
    assert line(statement, "refinanced", 6) == pytest.approx(60e6, abs=CENT)
    assert line(statement, "interest_0", 6) == pytest.approx(new_loan_interest(60e6, 0.8), abs=CENT)
    # The new loan is due in month 6 + 24: nothing falls due in month 12.
    assert line(statement, "principal_0", 12) == 0.0 and line(statement, "refinanced", 12) == 0.0


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_an_amortizing_loan_in_its_window_is_refinanced_and_amortizes_over_the_new_term(backend):
    table = table_with(WINDOW)
    table["debt"][0] |= {"amortization": "linear"}
    statement = statement_of(table, backend)
    # Five payments of $5M leave $35M in month 6; the new loan has 24 + 1 payments left.
    assert line(statement, "principal_0", 5) == pytest.approx(5e6, abs=CENT)
    assert line(statement, "refinanced", 6) == pytest.approx(35e6, abs=CENT)
    assert line(statement, "principal_0", 6) == pytest.approx(35e6 / 25, abs=CENT)


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_lenders_leverage_test_refinances_early_or_rolls_what_it_allows_at_maturity(backend):
    tests = {"refinancing": {"tests": "lender", "max_debt_to_ebitda": 3.0}}
    early = statement_of(table_with(WINDOW, tests), backend)
    # 3 x $28.032M - $20M of other debt = $64.1M >= $60M: whole, in month 6.
    assert line(early, "refinanced", 6) == pytest.approx(60e6, abs=CENT)
    tight = statement_of(table_with(WINDOW, tests, {"refinancing": {"max_debt_to_ebitda": 2.5}}), backend)
    # 2.5 x $28.032M - $20M = $50.08M < $60M: not in the window; in month 12 that much is rolled.
    assert not line(tight, "refinanced", 11)
    assert line(tight, "refinanced", 12) == pytest.approx(2.5 * EBITDA_YEAR - 20e6, abs=CENT)
    assert line(tight, "principal_0", 12) == pytest.approx(60e6 - (2.5 * EBITDA_YEAR - 20e6), abs=CENT)


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_lenders_interest_cover_test(backend):
    new_rate = SHORT_RATE + 0.07 + 0.1 * 0.8
    other_interest = 20e6 * 0.06
    for cover in (2.0, 2.5):
        table = table_with(WINDOW, {"refinancing": {"tests": "lender", "min_interest_cover": cover}})
        statement = statement_of(table, backend)
        capacity = (EBITDA_YEAR / cover - other_interest) / new_rate  # $66.4M, then $51.9M
        if capacity >= 60e6:
            assert line(statement, "refinanced", 6) == pytest.approx(60e6, abs=CENT)
        else:
            assert not line(statement, "refinanced", 6)
            assert line(statement, "refinanced", 12) == pytest.approx(capacity, rel=1e-12)


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_secured_notes_are_tested_on_their_pool_not_on_the_firm(backend):
    table = table_with(WINDOW, {"refinancing": {"max_ltv": 0.5}})
    table["pools"] = [{"name": "fleet", "cohorts": ["installed"], "share": 1.0}]
    table["debt"][0] |= {"pool": "fleet"}
    gate = statement_of(table, backend)
    # The LTV gate: 0.5 x $100M - $80M of debt = -$30M of headroom, so $30M is rolled at maturity.
    assert line(gate, "refinanced", 12) == pytest.approx(30e6, abs=CENT)
    lender = statement_of(table_with(table, {"refinancing": {"tests": "lender"}}), backend)
    # The pool's test: 0.5 x $100M - ($60M - $60M) of its other debt = $50M.
    assert not line(lender, "refinanced", 11)
    assert line(lender, "refinanced", 12) == pytest.approx(50e6, abs=CENT)


def on_contracts(end_month, max_debt_to_ebitda):
    """The notes secured on the contracts of a pool holding the whole fleet: half of it under contract at $3,
    80 % take-or-pay, to ``end_month``; opex $100 a GPU-month (what serving a contracted GPU costs)."""
    table = table_with(
        WINDOW,
        {"firm": {"opex_per_gpu_month": 100.0}},
        {"refinancing": {"tests": "lender", "max_debt_to_ebitda": max_debt_to_ebitda}},
    )
    table["pools"] = [{"name": "fleet", "cohorts": ["installed"], "share": 1.0}]
    table["customers"] = [{"name": "anchor", "share": 0.5, "price": 3.0, "end_month": end_month, "take_or_pay": 0.8}]
    table["debt"][0] |= {"pool": "fleet", "secured_on": "contracts"}
    return table


# A month of the contract's take-or-pay margin: 0.5 x 2,000 GPUs x 0.8 x ($3 x 730 h - $100).
CONTRACTED_MONTH = 0.5 * 2000 * 0.8 * (3.0 * 730 - 100.0)


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_notes_secured_on_contracts_are_sized_on_their_contracted_forward_ebitda(backend):
    # Contract to month 30: twelve months ahead in month 6, 4 x $20.06M = $80.3M >= $60M: whole, in month 6.
    long = statement_of(on_contracts(30, 4.0), backend)
    assert line(long, "refinanced", 5) == 0.0
    assert line(long, "refinanced", 6) == pytest.approx(60e6, abs=CENT)
    # To month 16: ten months ahead in month 6 ($33.4M at 2x), four at maturity: 2 x 4 x $1.672M is rolled.
    short = statement_of(on_contracts(16, 2.0), backend)
    assert not any(line(short, "refinanced", month) for month in range(6, 12))
    assert line(short, "refinanced", 12) == pytest.approx(2.0 * 4 * CONTRACTED_MONTH, abs=CENT)
    assert line(short, "principal_0", 12) == pytest.approx(60e6 - 2.0 * 4 * CONTRACTED_MONTH, abs=CENT)


def test_notes_secured_on_contracts_need_a_pool():
    table = table_with(WINDOW)
    table["debt"][0] |= {"secured_on": "contracts"}
    with pytest.raises(Exception, match="secured_on"):
        config_of(table)


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_a_glut_shrinks_capacity_instead_of_shutting_the_market(backend):
    glut = {
        "overlay": {"regime": {"state": "glut", "start_month": 1}},
        "refinancing": {"open_in_glut": True, "glut_capacity": 0.5, "glut_spread": 0.07},
    }
    statement = statement_of(table_with(WINDOW, glut), backend)
    # 0.5 x 0.9 = 0.45 < LTV 0.8: not in the window; at maturity 0.45 x $100M - $80M + $60M = $25M is rolled.
    assert not line(statement, "refinanced", 11)
    assert line(statement, "refinanced", 12) == pytest.approx(25e6, abs=CENT)


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_notes_are_refinanced_in_the_third_month_after_the_market_reopens(backend):
    # Lenders are shut in the glut the market starts in, until a shortage forced from month 7. The other debt
    # amortizes $2M a month (a $24M linear loan due in month 12), so the leverage test, 2.45 x $28.032M less
    # the other debt, passes first in month 9: $56.7M in month 7, $58.7M in month 8, $60.7M in month 9.
    table = table_with(
        WINDOW,
        {
            "market": {"regime": {"enabled": True, "initial": "glut"}},
            "overlay": {"regime": {"state": "shortage", "start_month": 7}},
            "refinancing": {"window_months": 8, "tests": "lender", "max_debt_to_ebitda": 2.45},
        },
    )
    table["debt"][1] = {"name": "term", "principal": 24e6, "rate": 0.06, "amortization": "linear", "maturity_month": 12}
    statement = statement_of(table, backend)
    refinanced = [line(statement, "refinanced", month) for month in range(1, 13)]
    assert refinanced[:8] == [0.0] * 8
    # Month 9: the notes, and the term loan's $8M (also in its window: 68.68 - $60M of other debt >= $8M;
    # in month 8 it was $8.68M < $10M).
    assert refinanced[8] == pytest.approx(60e6 + 8e6, abs=CENT)
    ltv = (60e6 + 8e6) / 100e6  # before the month's service
    assert line(statement, "interest_0", 9) == pytest.approx(new_loan_interest(60e6, ltv), abs=CENT)


def test_a_window_longer_than_the_new_term_is_refused_by_name():
    with pytest.raises(Exception, match="window_months"):
        config_of(table_with(WINDOW, {"refinancing": {"window_months": 24}}))


# --- limits and agreement ---------------------------------------------------------------------------


RANDOM = {"simulation": {"paths": 400, "horizon_months": 48, "base_case": False}}


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_the_lenders_tests_without_a_test_and_a_whole_gate_equal_refinancing_when_lenders_always_lend(backend):
    # "lender" with no leverage or cover test rolls an unsecured balance whole; so does the LTV gate with a
    # limit no firm reaches.
    table = table_with(FULL_MODEL, RANDOM, {"refinancing": {"window_months": 12}})
    lender = simulate(config_of(table_with(table, {"refinancing": {"tests": "lender"}})), backend)
    gate = simulate(config_of(table_with(table, {"refinancing": {"max_ltv": 1000.0}})), backend)
    assert_same_paths(lender, gate)


@pytest.mark.parametrize(
    "layer",
    [
        {"refinancing": {"window_months": 12}},
        {"refinancing": {"window_months": 18, "tests": "lender", "max_debt_to_ebitda": 4.0, "min_interest_cover": 2}},
        {"refinancing": {"window_months": 6, "tests": "lender", "open_in_glut": True, "glut_capacity": 0.4}},
    ],
    ids=["gate", "lender", "glut"],
)
@pytest.mark.parametrize("model", [FULL_MODEL, CAPITAL_STRUCTURE], ids=["full", "capital structure"])
def test_cpu_and_the_oracle_agree_path_by_path(model, layer):
    config = config_of(table_with(model, RANDOM, layer))
    cpu = simulate(config, "cpu")
    assert_same_paths(cpu, simulate(config, "numpy"))
    assert (cpu["default_month"] > 0).any()


def secured_on_contracts(model):
    """CAPITAL_STRUCTURE with its first two tranches (pools "fleet" and "growth") refinanced on their pools'
    contracted forward EBITDA, in an 18-month window, at most 3x."""
    layer = {"refinancing": {"window_months": 18, "tests": "lender", "max_debt_to_ebitda": 3.0, "open_in_glut": True}}
    table = table_with(model, RANDOM, layer)
    for j in (0, 1):
        table["debt"][j] = table["debt"][j] | {"secured_on": "contracts"}
    return table


def test_cpu_and_the_oracle_agree_path_by_path_on_contracts():
    table = secured_on_contracts(CAPITAL_STRUCTURE)
    cpu = simulate(config_of(table), "cpu")
    assert_same_paths(cpu, simulate(config_of(table), "numpy"))
    on_collateral = simulate(config_of(table_with(CAPITAL_STRUCTURE, RANDOM, {"refinancing": table["refinancing"]})))
    assert not (cpu["default_month"] == on_collateral["default_month"]).all()  # what they are secured on matters


def test_pd_falls_as_the_window_lengthens_on_common_random_numbers():
    """CoreWeave under the lenders' tests (6x debt / EBITDA, a five-year new loan): a window trades a higher
    coupon from an earlier month for more months in which lenders are open, so PD may not fall on every path;
    on the same paths it must not rise by more than 4 paired SE, and it falls by more than 4 SE from no window
    to 24 months."""
    settings = ('refinancing.tests="lender"', "refinancing.max_debt_to_ebitda=6", "refinancing.term_months=60")
    defaults = {}
    for window in (0, 12, 24):
        config = preset_config("coreweave", *settings, f"refinancing.window_months={window}", "simulation.paths=8000")
        defaults[window] = (simulate(config, "cpu")["default_month"] > 0).astype(float)

    assert_falls_on_common_random_numbers(defaults, [0, 12, 24])

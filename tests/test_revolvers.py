"""Revolving credit facilities (issue 28, item 3) against hand computations: drawn to keep the minimum cash,
repaid from cash above the target and drawn again, within the line, its availability period and its borrowing
base; cpu against the oracle and the CUDA simulator path by path; PD falls as the line grows."""

import numpy as np
import pytest

from conftest import HOST_BACKENDS
from gpu_stress.config.load import load_table
from gpu_stress.kernels import layout as L
from helpers import (
    CAPITAL_STRUCTURE,
    FLAT_FIRM,
    FULL_MODEL,
    assert_falls_on_common_random_numbers,
    assert_same_paths,
    config_of,
    simulate,
    statement_of,
    table_with,
)
from helpers import (
    statement_line as line,
)

CENT = 0.005  # $

# A flat market (price $2.00, utilization 0.8): revenue 2,000 x 730 x 0.8 x $2 = $2.336M a month. A $20M term
# loan at 6 % (interest $0.1M a month) and a $10M revolver at 12 %, undrawn fee 0.5 %, keeping $2M of cash.
REVENUE = 2000 * 730 * 0.8 * 2.0
REVOLVER = {
    "name": "revolver",
    "revolving": True,
    "commitment": 10e6,
    "rate": 0.12,
    "undrawn_fee": 0.005,
    "draw_end_month": 36,
    "maturity_month": 48,
    "minimum_cash": 2e6,
    "target_cash": 4e6,
}
FIRM = table_with(
    FLAT_FIRM,
    {
        "simulation": {"horizon_months": 24},
        "firm": {"fixed_opex_month": REVENUE + 1e6, "cash": 5e6},  # EBITDA: -$1M a month
    },
) | {
    "debt": [{"name": "term", "principal": 20e6, "rate": 0.06, "maturity_month": 120}, REVOLVER],
}


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_a_revolver_is_drawn_to_keep_the_minimum_cash_after_service(backend):
    statement = statement_of(FIRM, backend)
    fee = 10e6 * 0.005 / 12
    # Months 1 and 2 end above $2M: 5 - 2 x (1 + 0.1 + fee) M; month 3 would end at $0.79M below it.
    assert line(statement, "revolver", 1) == 0.0 and line(statement, "revolver", 2) == 0.0
    cash_before = 5e6 - 2 * (1e6 + 0.1e6 + fee) - 1e6
    first = 0.1e6 + fee + 2e6 - cash_before
    assert line(statement, "revolver", 3) == pytest.approx(first, abs=CENT)
    assert line(statement, "cash", 3) == pytest.approx(2e6, abs=CENT)
    # Month 4: interest on the drawn $0.31M and the fee on what is not, and $1M of operating loss.
    service = 0.1e6 + first * 0.12 / 12 + (10e6 - first) * 0.005 / 12
    assert line(statement, "revolver", 4) == pytest.approx(1e6 + service, abs=CENT)
    assert line(statement, "cash", 4) == pytest.approx(2e6, abs=CENT)


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_when_the_line_is_used_up_the_firm_runs_short(backend):
    outputs = simulate(config_of(FIRM), backend)
    statement = statement_of(FIRM, backend)
    drawn = statement[:, L.STATEMENT_NAMES.index("revolver")]  # NaN after the month the firm ended
    assert np.nansum(drawn) == pytest.approx(10e6, abs=CENT)  # every dollar of the line, then a liquidity default
    assert outputs["default_cause"][0] == L.LIQUIDITY
    without = table_with(FIRM)
    without["debt"] = without["debt"][:1]
    assert simulate(config_of(without), backend)["default_month"][0] < outputs["default_month"][0]


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_cash_above_the_target_repays_it_and_what_is_repaid_can_be_drawn_again(backend):
    table = table_with(FIRM, {"firm": {"fixed_opex_month": 0.0}})  # EBITDA +$2.336M a month
    table["debt"][1] = REVOLVER | {"principal": 6e6, "commitment": 4e6}
    statement = statement_of(table, backend)
    service = 0.1e6 + 6e6 * 0.12 / 12 + 4e6 * 0.005 / 12
    repaid = 5e6 + REVENUE - service - 4e6
    assert line(statement, "revolver", 1) == pytest.approx(-repaid, abs=CENT)
    assert line(statement, "cash", 1) == pytest.approx(4e6, abs=CENT)
    assert line(statement, "undrawn", 1) == pytest.approx(4e6 + repaid, abs=CENT)
    # Repaid in full in month 3: the whole $10M line is undrawn again.
    assert -sum(line(statement, "revolver", month) for month in (1, 2, 3)) == pytest.approx(6e6, abs=CENT)
    assert line(statement, "undrawn", 3) == pytest.approx(10e6, abs=CENT)


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_no_draw_after_the_availability_period_and_none_beyond_the_borrowing_base(backend):
    ended = statement_of(table_with(FIRM), backend)
    late = table_with(FIRM)
    late["debt"][1] = REVOLVER | {"draw_end_month": 3}
    statement = statement_of(late, backend)
    assert line(statement, "revolver", 3) == pytest.approx(line(ended, "revolver", 3), abs=CENT)
    after = statement[3:, L.STATEMENT_NAMES.index("revolver")]
    assert np.all(after[~np.isnan(after)] <= 0) and np.isnan(after).any()  # no draw, then a default
    based = table_with(FIRM)
    based["debt"][1] = REVOLVER | {"borrowing_base": 0.03}  # 3 % of the $100M fleet: $3M at most
    statement = statement_of(based, backend)
    assert np.nansum(statement[:, L.STATEMENT_NAMES.index("revolver")]) == pytest.approx(3e6, abs=CENT)


@pytest.mark.parametrize(
    "tranche, named",
    [
        ({"amortization": "linear"}, "bullet"),
        ({"funds": ["installed"]}, "funds"),
        ({"minimum_cash": 5e6, "target_cash": 1e6}, "target_cash"),
    ],
)
def test_a_revolver_that_is_no_line_is_refused_by_name(tranche, named):
    table = table_with(FIRM)
    table["debt"][1] = REVOLVER | tranche
    with pytest.raises(Exception, match=named):
        config_of(table)


# --- extension -----------------------------------------------------------------------------------------

# EBITDA +$2.336M a month and a $6M drawn revolver maturing in month 6 that never repays from cash (its target is
# out of reach): its balloon falls due in month 6, or each extension moves it (and the fee) out by 12 months.
EXTENDING = table_with(FIRM, {"firm": {"fixed_opex_month": 0.0}})
EXTENDING["debt"][1] = REVOLVER | {
    "principal": 6e6,
    "commitment": 4e6,
    "draw_end_month": 6,
    "maturity_month": 6,
    "minimum_cash": 0.0,
    "target_cash": 1e12,
}


def extending(**terms):
    table = table_with(EXTENDING)
    table["debt"][1] = table["debt"][1] | terms
    return table


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_an_extended_revolver_falls_due_a_term_later_and_keeps_its_line(backend):
    fee = 4e6 * 0.005 / 12
    interest = 6e6 * 0.12 / 12
    plain = statement_of(extending(), backend)
    assert line(plain, "principal_1", 6) == pytest.approx(6e6, abs=CENT)  # no extension: due in month 6
    assert line(plain, "undrawn", 7) == 0.0  # the line lapses with its availability period
    once = statement_of(extending(extensions=1, extension_months=12), backend)
    assert line(once, "principal_1", 6) == 0.0
    assert line(once, "interest_1", 7) == pytest.approx(interest + fee, abs=CENT)  # still a line, fee and all
    assert line(once, "undrawn", 17) == pytest.approx(4e6, abs=CENT)
    assert line(once, "principal_1", 18) == pytest.approx(6e6, abs=CENT)  # one extension: due in month 18
    twice = statement_of(extending(extensions=2, extension_months=12), backend)
    assert line(twice, "principal_1", 18) == 0.0
    assert np.nansum(twice[:, L.STATEMENT_NAMES.index("principal_1")]) == 0.0  # due in month 30, after the horizon


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_no_extension_while_lenders_are_shut_in_a_glut(backend):
    glut = {"overlay": {"regime": {"state": "glut", "start_month": 5, "end_month": 8}}}
    shut = statement_of(table_with(extending(extensions=1), glut), backend)
    assert line(shut, "regime", 6) == 1.0
    assert line(shut, "principal_1", 6) == pytest.approx(6e6, abs=CENT)
    opened = statement_of(table_with(extending(extensions=1), glut, {"refinancing": {"open_in_glut": True}}), backend)
    assert line(opened, "principal_1", 6) == 0.0


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_borrowing_against_unpledged_gpus_at_an_advance_rate_stops_while_lenders_are_shut(backend):
    # An uncommitted line on no pool with a 3 % borrowing base: 3 % of the $100M of GPUs no pool holds.
    def drawn(table):
        statement = statement_of(table, backend)
        return np.nansum(statement[:, L.STATEMENT_NAMES.index("revolver")])

    table = table_with(FIRM)
    table["debt"][1] = REVOLVER | {"borrowing_base": 0.03, "committed": False}
    assert drawn(table) == pytest.approx(3e6, abs=CENT)
    half = table_with(table) | {"pools": [{"name": "half", "cohorts": ["installed"], "share": 0.5}]}
    half["debt"][0] = half["debt"][0] | {"pool": "half"}
    assert drawn(half) == pytest.approx(1.5e6, abs=CENT)  # half the GPUs are pledged to the term loan
    shut = table_with(table, {"overlay": {"regime": {"state": "glut", "start_month": 1, "end_month": 24}}})
    assert drawn(shut) == 0.0
    committed = table_with(shut)
    committed["debt"][1]["committed"] = True
    assert drawn(committed) == pytest.approx(3e6, abs=CENT)  # a committed line lends in a glut too


@pytest.mark.parametrize("terms, named", [({"extensions": 1}, "extensions"), ({"committed": False}, "committed")])
def test_only_a_revolver_has_extensions_or_is_uncommitted(terms, named):
    table = table_with(FIRM)
    table["debt"][0] = table["debt"][0] | terms
    with pytest.raises(Exception, match=named):
        config_of(table)


# --- agreement and monotonicity ----------------------------------------------------------------------


def with_revolver(model, **terms):
    table = table_with(model, {"simulation": {"paths": 400, "horizon_months": 48, "base_case": False}})
    line_terms = {"name": "rcf", "revolving": True, "commitment": 2e8, "rate": 0.09, "undrawn_fee": 0.00375}
    table["debt"] = [*table["debt"], line_terms | {"maturity_month": 40, "draw_end_month": 36} | terms]
    return table


@pytest.mark.parametrize(
    "terms",
    [
        {"minimum_cash": 5e7, "target_cash": 2e8},
        {"minimum_cash": 0.0, "borrowing_base": 0.2, "rate_type": "floating"},
        {"minimum_cash": 5e7, "target_cash": 2e8, "maturity_month": 12, "draw_end_month": 12, "extensions": 2},
        {"minimum_cash": 5e7, "target_cash": 1e8, "borrowing_base": 0.5, "committed": False},
    ],
    ids=["targets", "borrowing base", "extensions", "uncommitted"],
)
@pytest.mark.parametrize("model", [FULL_MODEL, CAPITAL_STRUCTURE], ids=["full", "capital structure"])
def test_cpu_and_the_oracle_agree_path_by_path(model, terms):
    config = config_of(with_revolver(model, **terms))
    cpu = simulate(config, "cpu")
    assert_same_paths(cpu, simulate(config, "numpy"))
    assert (cpu["default_month"] > 0).any()


def test_pd_falls_as_the_revolver_grows_on_common_random_numbers():
    """Lambda with a revolver of $0, $100M and $250M (0.375 % undrawn fee) available through the horizon and
    maturing after it: on the same paths PD must not rise by more than 4 paired SE as the line grows, and falls by
    more than 4 SE from none to the largest. (A line maturing within the horizon is a balloon then: a larger one
    defers defaults to its maturity, as a revolver that is not extended does.)"""
    defaults = {}
    for commitment in (0.0, 1e8, 2.5e8):
        table = load_table(preset="lambda", overrides=["simulation.paths=8000", "simulation.horizon_months=60"])
        revolver = {"name": "rcf", "revolving": True, "commitment": commitment, "rate": 0.09}
        table["debt"] = [
            *table["debt"],
            revolver | {"undrawn_fee": 0.00375, "maturity_month": 72, "draw_end_month": 71},
        ]
        defaults[commitment] = (simulate(config_of(table), "cpu")["default_month"] > 0).astype(float)

    assert_falls_on_common_random_numbers(defaults, [0.0, 1e8, 2.5e8])

"""Funding risk (issue 28, item 1) against hand computations and closed forms: an unsigned facility closes
in its window with the probability its hazard gives, the deliveries it funds wait for it, and if it fails
they are cancelled with their deposits and their contracts' remedies; cpu against the oracle path by path;
PD falls as the closing probability rises; pd_funded and the "funding" driver in the summary."""

import numpy as np
import pytest

import gpu_stress
from conftest import HOST_BACKENDS
from gpu_stress.blocks.funding import closing_hazard
from gpu_stress.config.load import load_table
from gpu_stress.kernels import layout as L
from helpers import (
    CAPITAL_STRUCTURE,
    FLAT_FIRM,
    FULL_MODEL,
    assert_falls_on_common_random_numbers,
    assert_same_paths,
    config_of,
    per_path,
    simulate,
    statement_of,
    table_with,
)
from helpers import (
    statement_line as line,
)

CENT = 0.005  # $

# A flat market (price $2.00, utilization 0.8, no costs): revenue 2,000 x 730 x 0.8 x $2 = $2.336M a month.
# A cohort of 1,000 GPUs at $30,000 ($30M) planned for month 4 with a 20 % deposit in month 2, funded 70 % by a
# delayed-draw loan not yet signed, and a contract on the cohort that walks away once 2 months late.
COHORT = {
    "name": "growth",
    "gpus": 1000,
    "gpu_cost": 30_000.0,
    "delivery_month": 4,
    "deposit": 0.2,
    "deposit_months_ahead": 2,
}
FACILITY = {
    "name": "to be raised",
    "commitment": 21e6,
    "advance_rate": 0.7,
    "funds": ["growth"],
    "rate": 0.12,
    "draw_end_month": 12,
    "maturity_month": 60,
    "signed": False,
    "closing_probability": 0.0,
    "closing_start_month": 1,
    "closing_end_month": 6,
}
CONTRACT = {
    "name": "anchor",
    "cohort": "growth",
    "share": 1.0,
    "price": 2.5,
    "term_months": 24,
    "delay_limit_months": 2,
    "terminates_on_delay": True,
}
FIRM = table_with(FLAT_FIRM, {"simulation": {"horizon_months": 12}}) | {
    "cohorts": [COHORT],
    "customers": [CONTRACT],
    "debt": [FACILITY],
}
MONTHLY = 2000 * 730 * 0.8 * 2.0


def with_facility(**terms):
    table = table_with(FIRM)
    table["debt"] = [FACILITY | terms]
    return table


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_a_facility_that_fails_to_close_cancels_the_cohort_it_funds(backend):
    outputs = simulate(config_of(FIRM), backend)
    statement = statement_of(FIRM, backend)
    assert line(statement, "capex", 2) == pytest.approx(6e6, abs=CENT)  # the deposit, paid and then lost
    for month in (4, 5, 6):  # the delivery waits for the facility, then is cancelled in month 6
        assert line(statement, "capex", month) == 0.0 and line(statement, "draws", month) == 0.0
    assert np.all(statement[:, L.STATEMENT_NAMES.index("gpus")] == 2000)  # the cohort never arrives
    assert np.nansum(statement[:, L.STATEMENT_NAMES.index("undrawn")]) == 0.0  # it never lent
    # Only the installed fleet earns: 12 x $2.336M, less the lost deposit; the contract walked away.
    assert line(statement, "cash", 12) == pytest.approx(50e6 + 12 * MONTHLY - 6e6, abs=CENT)
    assert outputs["funding_failed_month"][0] == 6
    assert outputs["tranche_closing_failed_0"][0] == 6 and outputs["tranche_closing_month_0"][0] == -1


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_a_facility_that_closes_in_its_window_funds_the_delivery_that_waited(backend):
    table = with_facility(closing_probability=1.0, closing_start_month=6)  # closes in month 6 for sure
    outputs = simulate(config_of(table), backend)
    statement = statement_of(table, backend)
    assert line(statement, "capex", 4) == 0.0 and line(statement, "capex", 5) == 0.0  # waiting
    assert line(statement, "capex", 6) == pytest.approx(24e6, abs=CENT)  # cost less the deposit
    assert line(statement, "draws", 6) == pytest.approx(21e6, abs=CENT)  # 70 % of $30M
    assert line(statement, "gpus", 6) == 3000
    assert outputs["tranche_closing_month_0"][0] == 6 and outputs["funding_failed_month"][0] == -1
    # The contract's first term starts at the delivery two months late (its limit): it stays and pays.
    assert line(statement, "revenue_contracted", 6) == pytest.approx(1000 * 730 * 2.5, abs=CENT)


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_a_delivery_another_facility_finances_neither_waits_nor_is_cancelled(backend):
    table = table_with(FIRM)
    signed = {"name": "signed", "commitment": 15e6, "advance_rate": 0.5, "funds": ["growth"], "rate": 0.1}
    table["debt"] = [FACILITY, signed | {"draw_end_month": 12, "maturity_month": 60}]
    statement = statement_of(table, backend)
    assert line(statement, "capex", 4) == pytest.approx(24e6, abs=CENT)  # on time, as planned
    assert line(statement, "draws", 4) == pytest.approx(15e6, abs=CENT)  # 50 % of $30M, from the signed one
    assert line(statement, "gpus", 12) == 3000
    assert simulate(config_of(table), backend)["funding_failed_month"][0] == 6


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_an_unsigned_principal_is_drawn_into_cash_when_it_closes(backend):
    table = table_with(FLAT_FIRM)
    table["debt"] = [
        {"name": "bridge", "principal": 10e6, "rate": 0.12, "maturity_month": 60, "signed": False}
        | {"closing_probability": 1.0, "closing_start_month": 3, "closing_end_month": 5}
    ]
    statement = statement_of(table, backend)
    assert line(statement, "interest_0", 2) == 0.0 and line(statement, "debt", 2) == 0.0  # nothing owed yet
    assert line(statement, "draws", 3) == pytest.approx(10e6, abs=CENT)
    assert line(statement, "interest_0", 3) == pytest.approx(10e6 * 0.12 / 12, abs=CENT)  # from its first month
    assert line(statement, "debt", 3) == pytest.approx(10e6, abs=CENT)
    assert line(statement, "cash", 3) == pytest.approx(50e6 + 3 * MONTHLY + 10e6 - 0.1e6, abs=CENT)


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_lenders_shut_in_a_glut_close_nothing_until_the_window_ends(backend):
    glut = {"market": {"regime": {"enabled": True, "initial": "glut"}}, "funding": {"glut_factor": 0.0}}
    table = table_with(with_facility(closing_probability=1.0), glut)
    assert simulate(config_of(table), backend)["funding_failed_month"][0] == 6
    open_table = table_with(table, {"funding": {"glut_factor": 1.0}})
    assert simulate(config_of(open_table), backend)["tranche_closing_month_0"][0] == 1


def test_closing_with_certainty_from_month_one_is_signing_bit_for_bit():
    signed = table_with(FULL_MODEL, {"simulation": {"paths": 300}})
    unsigned = table_with(signed)
    unsigned["debt"][1] = unsigned["debt"][1] | {"signed": False, "closing_probability": 1.0, "closing_end_month": 6}
    for backend in HOST_BACKENDS:
        first, second = simulate(config_of(signed), backend), simulate(config_of(unsigned), backend)
        for name in (*L.PATH_FLOAT_OUTPUT_NAMES, "default_month", "default_cause"):
            np.testing.assert_array_equal(first[name], second[name], err_msg=f"{backend}: {name}")
        assert np.all(second["tranche_closing_month_1"] == 1)


def test_the_closing_month_is_geometric_and_fails_with_one_minus_the_probability():
    """No market sway: each month of the n-month window closes with h = 1 - (1 - p)^(1/n), so the facility fails
    with probability 1 - p and closes in month k with (1 - h)^(k - 1) h; shares within 4 standard errors."""
    paths, probability, months = 40_000, 0.7, 6
    table = with_facility(closing_probability=probability, closing_end_month=months)
    table["simulation"] |= {"paths": paths, "base_case": False}
    table["market"]["price"]["volatility"] = 0.2
    outputs = simulate(config_of(table), "cpu")
    hazard = 1 - (1 - probability) ** (1 / months)
    config = config_of(table)
    assert closing_hazard(config.debt[0]) == pytest.approx(hazard, rel=1e-12)
    closed = outputs["tranche_closing_month_0"]
    expected = {k: (1 - hazard) ** (k - 1) * hazard for k in range(1, months + 1)} | {-1: 1 - probability}
    for month, share in expected.items():
        found = np.mean(closed == month)
        assert abs(found - share) < 4 * np.sqrt(share * (1 - share) / paths), (month, found, share)
    assert np.array_equal(outputs["funding_failed_month"] == months, closed == -1)


@pytest.mark.parametrize("model", [FULL_MODEL, CAPITAL_STRUCTURE], ids=["full", "capital structure"])
def test_cpu_and_the_oracle_agree_path_by_path(model):
    table = table_with(model, {"simulation": {"paths": 400}})
    table["funding"] = {"glut_factor": 0.3, "price_sensitivity": 2.0, "leverage_sensitivity": 1.5, "ltv_threshold": 0.8}
    table["debt"][1] = table["debt"][1] | {"signed": False, "closing_probability": 0.6, "closing_end_month": 5}
    table["debt"][2] = table["debt"][2] | {"signed": False, "closing_probability": 0.9, "closing_start_month": 2}
    config = config_of(table)
    cpu = simulate(config, "cpu")
    assert_same_paths(cpu, simulate(config, "numpy"))
    assert (cpu["funding_failed_month"] > 0).any() and (cpu["funding_failed_month"] < 0).any()


def test_pd_falls_as_the_closing_probability_rises_on_common_random_numbers():
    """CoreWeave with its contract delayed-draw loans (the $17.5B its plan still needs) unsigned, closing by month
    12: on the same paths PD must not rise by more than 4 paired SE as the closing probability rises, and falls by
    more than 4 SE from 0 to 1. (Not so for any facility: unsigned notes whose principal the plan does not need
    leave the firm, if they fail, without their balloon.)"""
    defaults = {}
    for probability in (0.0, 0.5, 1.0):
        table = load_table(preset="coreweave", overrides=["simulation.paths=2000"])
        for tranche in table["debt"]:
            if tranche["name"] == "Contract DDTLs (to be raised)":
                tranche |= {"signed": False, "closing_probability": probability, "closing_end_month": 12}
        defaults[probability] = (simulate(config_of(table), "cpu")["default_month"] > 0).astype(float)
    assert_falls_on_common_random_numbers(defaults, [0.0, 0.5, 1.0])


def test_the_summary_shows_pd_funded_beside_pd_and_funding_as_a_driver():
    table = table_with(FULL_MODEL, {"simulation": {"paths": 3000}})
    table["debt"][2] = table["debt"][2] | {"signed": False, "closing_probability": 0.5, "closing_end_month": 4}
    results = gpu_stress.run(table, backend="cpu", warn=False)
    row = results.scenarios.to_pylist()[0]
    paths = results.paths.sort_by("path_id").to_pydict()
    failed = np.array([month is not None for month in paths["funding_failed_month"]])
    cause = np.array(paths["default_cause"], dtype=object)
    credit = np.array([c not in (None, "insolvent_no_debt") for c in cause])
    assert row["funding_failures"] == failed.sum() > 0
    assert row["pd_funded"] == pytest.approx(credit[~failed].mean(), rel=1e-12)
    assert row["pd"] == pytest.approx(credit.mean(), rel=1e-12)
    months = np.array([m if m is not None else 10**6 for m in paths["funding_failed_month"]])
    default_month = np.array([m if m is not None else -1 for m in paths["default_month"]])
    after = credit & failed & (months <= default_month)
    assert sum(row["funding_defaults"].values()) == after.sum() > 0
    drivers = results.summary()["drivers"][0]
    assert drivers["shares"]["funding"] == pytest.approx(after.sum() / credit.sum(), rel=1e-12)


@pytest.mark.parametrize(
    "terms, named",
    [
        ({"closing_start_month": 5, "closing_end_month": 4}, "closing_end_month"),
        ({"closing_end_month": 13}, "draw_end_month"),
    ],
)
def test_a_window_that_cannot_close_is_refused_by_name(terms, named):
    with pytest.raises(Exception, match=named):
        config_of(with_facility(**terms))


def test_at_most_four_facilities_can_be_unsigned():
    table = table_with(FIRM)
    table["debt"] = [FACILITY | {"name": f"loan {k}", "commitment": 1e6} for k in range(L.MAX_UNSIGNED + 1)]
    with pytest.raises(Exception, match="signed"):
        config_of(table)


def test_the_cuda_kernels_agree_on_the_simulator(tmp_path):
    from test_cuda import SMALL, as_outputs, run_on_simulator

    table = table_with(CAPITAL_STRUCTURE, SMALL)
    table["funding"] = {"glut_factor": 0.5, "price_sensitivity": 1.0}
    table["debt"][1] = table["debt"][1] | {"signed": False, "closing_probability": 0.6, "closing_end_month": 5}
    simulated = as_outputs(run_on_simulator(tmp_path, table))
    reference = per_path(simulate(config_of(table), "cpu"))
    assert_same_paths(simulated, reference)
    assert (reference["funding_failed_month"] > 0).any()


test_the_cuda_kernels_agree_on_the_simulator = pytest.mark.slow(test_the_cuda_kernels_agree_on_the_simulator)

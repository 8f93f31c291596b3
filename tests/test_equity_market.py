"""Equity on market value and convertible notes (issue 28, item 4) against hand computations: a raise sized on
an EV / EBITDA multiple where book equity allows none; a convertible that converts and one that is repaid; cpu
against the oracle and the CUDA simulator path by path; PD falls as the EBITDA multiple rises."""

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
    per_path,
    simulate,
    statement_of,
    table_with,
)
from helpers import (
    statement_line as line,
)

CENT = 0.005  # $

# A flat market with no costs: EBITDA $2.336M a month (2,000 GPUs x 730 h x 0.8 x $2), GPUs worth $100M that
# do not age; cash $50M. Month 6's trailing quarter annualizes to 12 x $2.336M = $28.032M.
MONTHLY = 2000 * 730 * 0.8 * 2.0
CASH_IN_MONTH_6 = 50e6 + 6 * MONTHLY  # before the month's service
FIRM = table_with(FLAT_FIRM, {"simulation": {"horizon_months": 12}, "equity": {"shares": 1e6}})


def with_notes(conversion_price, multiple=10.0):
    table = table_with(FIRM, {"equity": {"ebitda_multiple": multiple}})
    notes = {"name": "converts", "principal": 20e6, "rate": 0.0, "maturity_month": 6}
    table["debt"] = [notes | {"conversion_price": conversion_price}]
    return table


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_a_convertible_in_the_money_converts_at_maturity_instead_of_its_balloon(backend):
    # E = 10 x $28.032M + $64.016M - $20M = $324.3M for 1M shares: $324 a share, above $10.
    statement = statement_of(with_notes(10.0), backend)
    assert line(statement, "converted", 6) == pytest.approx(20e6, abs=CENT)
    assert line(statement, "principal_0", 6) == 0.0
    assert line(statement, "cash", 6) == pytest.approx(CASH_IN_MONTH_6, abs=CENT)
    assert line(statement, "debt", 6) == 0.0
    # 2M new shares: the holders of month 0 keep a third of a firm worth its cash and GPUs at the horizon.
    converted, plain = simulate(config_of(with_notes(10.0)), backend), simulate(config_of(FIRM), backend)
    assert converted["equity_value"][0] == pytest.approx(plain["equity_value"][0] / 3, rel=1e-12)


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_a_convertible_out_of_the_money_is_repaid(backend):
    statement = statement_of(with_notes(400.0), backend)  # $324 a share is below $400
    assert line(statement, "converted", 6) == 0.0
    assert line(statement, "principal_0", 6) == pytest.approx(20e6, abs=CENT)
    assert line(statement, "cash", 6) == pytest.approx(CASH_IN_MONTH_6 - 20e6, abs=CENT)


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_a_raise_on_market_value_pays_a_balloon_book_equity_cannot(backend):
    # A $100M balloon in month 6 against $64.0M of cash: $36.0M short, a gross raise of $40.0M at a 10 % cost.
    # Book equity $64.0M + $100M - $100M allows 25 % of it, $16.0M: no raise. At 10x EBITDA, E = $244.3M: $61.1M.
    loan = {"name": "loan", "principal": 100e6, "rate": 0.0, "maturity_month": 6}
    equity = {"enabled": True, "open_in_glut": True, "max_raise_per_year": 0.25, "cost": 0.1}
    book = table_with(FIRM, {"equity": equity}) | {"debt": [loan]}
    outputs = simulate(config_of(book), backend)
    assert outputs["default_month"][0] == 6 and outputs["equity_raised"][0] == 0.0
    market = table_with(book, {"equity": {"basis": "market", "ebitda_multiple": 10.0}})
    outputs = simulate(config_of(market), backend)
    assert outputs["default_month"][0] == -1
    assert outputs["equity_raised"][0] == pytest.approx((100e6 - CASH_IN_MONTH_6) / 0.9, abs=CENT)
    assert line(statement_of(market, backend), "cash", 6) == pytest.approx(0.0, abs=CENT)


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_on_contracted_forward_ebitda_a_contract_running_out_values_the_shares_lower(backend):
    # Half the fleet under contract at $3 to month 8: EBITDA $2.19M + $1.168M = $3.358M a month, annualized
    # $40.296M; the contract's next twelve months are two, $4.38M. Cash $50M + 6 x $3.358M = $70.148M in month 6.
    # Trailing: E = 10 x $40.296M + $70.148M - $20M = $453.1M, $453 a share; forward: $93.9M, $93.9 a share.
    contract = [{"name": "anchor", "share": 0.5, "price": 3.0, "end_month": 8}]
    trailing = with_notes(200.0) | {"customers": contract}
    assert line(statement_of(trailing, backend), "converted", 6) == pytest.approx(20e6, abs=CENT)
    forward = table_with(trailing, {"equity": {"ebitda": "forward"}})
    assert line(statement_of(forward, backend), "converted", 6) == 0.0
    below = table_with(forward)
    below["debt"][0]["conversion_price"] = 90.0  # $93.9 a share is above $90
    assert line(statement_of(below, backend), "converted", 6) == pytest.approx(20e6, abs=CENT)


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_the_issuer_calls_a_convertible_once_its_shares_pass_the_trigger(backend):
    # Notes due in month 12, callable from month 3 at 1.3x a $250 conversion price: $325M for 1M shares. From
    # month 3 E = 10 x $28.032M + $50M + t x $2.336M - $20M = $310.32M + t x $2.336M: above $325M from month 7.
    def converted(call_month):
        table = with_notes(250.0)
        table["debt"][0] |= {"maturity_month": 12, "call_month": call_month, "call_trigger": 1.3}
        return np.nan_to_num(statement_of(table, backend)[:, L.STATEMENT_NAMES.index("converted")])

    called = converted(3)
    assert called[6] == pytest.approx(20e6, abs=CENT) and called.sum() == pytest.approx(20e6, abs=CENT)
    held = converted(0)  # no call: it converts at maturity
    assert held[11] == pytest.approx(20e6, abs=CENT) and held.sum() == pytest.approx(20e6, abs=CENT)
    late = converted(9)  # callable only from month 9: called then
    assert late[8] == pytest.approx(20e6, abs=CENT)


@pytest.mark.parametrize(
    "terms, named",
    [({"call_month": 3, "conversion_price": 0.0}, "call_month"), ({"call_month": 6}, "call_month")],
    ids=["not convertible", "not before maturity"],
)
def test_a_call_needs_a_convertible_and_comes_before_maturity(terms, named):
    table = with_notes(10.0)
    table["debt"][0] |= terms
    with pytest.raises(Exception, match=named):
        config_of(table)


def test_a_convertible_needs_a_share_count():
    table = with_notes(10.0)
    table["equity"]["shares"] = 0.0
    with pytest.raises(Exception, match="conversion_price"):
        config_of(table)


def market_value_model(model, paths=400):
    table = table_with(
        model,
        {"simulation": {"paths": paths}},
        {"equity": {"enabled": True, "open_in_glut": True, "basis": "market", "ebitda_multiple": 8.0}},
        {"equity": {"glut_ebitda_multiple": 3.0}},
        {"equity": {"shares": 5e6}},
    )
    table["debt"][2] = table["debt"][2] | {"conversion_price": 20.0}  # the notes maturing in month 30
    return table


@pytest.mark.parametrize("ebitda, call", [("trailing", 0), ("forward", 0), ("trailing", 6)])
@pytest.mark.parametrize("model", [FULL_MODEL, CAPITAL_STRUCTURE], ids=["full", "capital structure"])
def test_cpu_and_the_oracle_agree_path_by_path(model, ebitda, call):
    table = table_with(market_value_model(model), {"equity": {"ebitda": ebitda}})
    table["debt"][2]["call_month"] = call
    config = config_of(table)
    cpu = simulate(config, "cpu")
    assert_same_paths(cpu, simulate(config, "numpy"))
    assert (cpu["default_month"] > 0).any()
    repaid = market_value_model(model)
    repaid["debt"][2]["conversion_price"] = 0.0
    assert not np.array_equal(simulate(config_of(repaid), "cpu")["equity_value"], cpu["equity_value"])  # it converts


def test_pd_falls_as_the_ebitda_multiple_rises_on_common_random_numbers():
    """CoreWeave with its raises sized on market value at 2x, 5x and 10x trailing EBITDA (half of it in a glut):
    on the same paths PD must not rise by more than 4 paired SE as the multiple rises, and falls by more than
    4 SE from the lowest to the highest."""
    defaults = {}
    for multiple in (2.0, 5.0, 10.0):
        table = load_table(preset="coreweave", overrides=["simulation.paths=2000"])
        table["equity"] |= {"basis": "market", "ebitda_multiple": multiple, "glut_ebitda_multiple": multiple / 2}
        defaults[multiple] = (simulate(config_of(table), "cpu")["default_month"] > 0).astype(float)
    assert_falls_on_common_random_numbers(defaults, [2.0, 5.0, 10.0])


@pytest.mark.slow
@pytest.mark.parametrize("ebitda, call", [("trailing", 0), ("forward", 0), ("trailing", 6)])
def test_the_cuda_kernels_agree_on_the_simulator(tmp_path, ebitda, call):
    from test_cuda import SMALL, as_outputs, run_on_simulator

    table = table_with(market_value_model(CAPITAL_STRUCTURE), SMALL, {"equity": {"ebitda": ebitda}})
    table["debt"][2]["call_month"] = call
    simulated = as_outputs(run_on_simulator(tmp_path, table))
    reference = per_path(simulate(config_of(table), "cpu"))
    assert_same_paths(simulated, reference)
    if ebitda == "trailing" and not call:
        assert np.any(reference["equity_raised"] > 0)
    else:  # forward EBITDA or a call changes what the shares are worth or when the notes convert: some path
        plain = table_with(table, {"equity": {"ebitda": "trailing"}})
        plain["debt"][2]["call_month"] = 0
        plain = simulate(config_of(plain), "cpu")
        assert not np.array_equal(plain["equity_value"], reference["equity_value"])

"""The growing firm against closed forms: delivery delays, delayed-draw facilities, regime hazards, renewals,
generation prices, fixed charges; and with none of them, the static-fleet model path by path."""

import math
import tomllib
from pathlib import Path

import numpy as np
import pytest

from conftest import HOST_BACKENDS
from gpu_stress.kernels import layout as L
from helpers import assert_same_paths, config_of, simulate, statement_of, table_with

STATIC_FLEET = Path(__file__).parent / "data" / "static_fleet"


def column(statement, name):
    return statement[:, L.STATEMENT_NAMES.index(name)]


# --- with no growth, the static fleet ---------------------------------------------------------


def static_fleet_table(name):
    """A config of the static-fleet model; its refinancing all or nothing and its planned path's regime the
    initial one, as they were then."""
    if name == "full_model":
        import json

        table = json.loads((STATIC_FLEET / "full_model.json").read_text())
    else:
        table = tomllib.loads((STATIC_FLEET / f"{name}.toml").read_text())
    table.setdefault("refinancing", {})["partial"] = False
    table.setdefault("market", {}).setdefault("regime", {})["planned_path"] = "initial"
    return table


# The outputs the static-fleet model had (the capital structure added the others).
STATIC_FLEET_OUTPUTS = L.FLOAT_OUTPUT_NAMES[: L.OUT_EQUITY_VALUE + 1] + L.INT_OUTPUT_NAMES[: L.OUT_DEFAULT_CAUSE + 1]


@pytest.mark.parametrize("backend", HOST_BACKENDS)
@pytest.mark.parametrize("name", ["coreweave", "crusoe", "lambda", "nebius", "nscale", "full_model"])
def test_with_no_growth_the_static_fleet_model_is_reproduced_path_by_path(name, backend):
    golden = np.load(STATIC_FLEET / "outputs.npz")
    expected = {key: golden[f"{name}/{key}"] for key in STATIC_FLEET_OUTPUTS}
    result = simulate(config_of(static_fleet_table(name)), backend, paths=400)
    assert_same_paths({key: result[key] for key in STATIC_FLEET_OUTPUTS}, expected, rtol=1e-9)


# --- a deterministic plan to compute by hand ---------------------------------------------------

# Flat price, fixed utilization, no rates: a month's revenue depends only on what is in service.
FLAT = {
    "simulation": {"paths": 1, "horizon_months": 120, "seed": 3, "base_case": True},
    "market": {
        "price": {"initial": 2.0, "drift": 0.0, "volatility": 0.0},
        "utilization": {"enabled": False, "initial": 0.8},
    },
    "firm": {
        "gpus": 1000,
        "gpu_cost": 30_000.0,
        "useful_life_months": 240,  # outlives the horizon: only the planned cohort comes and goes
        "power_kw": 1.0,
        "opex_per_gpu_month": 100.0,
        "fixed_opex_month": 100_000.0,
        "cash": 500e6,
    },
}
GROWTH = table_with(
    FLAT,
    {
        "cohorts": [
            {
                "name": "b200",
                "gpus": 500,
                "gpu_cost": 40_000.0,
                "delivery_month": 6,
                "useful_life_months": 48,
                "lease_per_kw_month": 150.0,
            }
        ],
        "customers": [{"name": "anchor", "cohort": "b200", "share": 0.6, "price": 3.0, "term_months": 24}],
        "debt": [
            {"name": "notes", "principal": 10e6, "rate": 0.08, "maturity_month": 240},
            {
                "name": "ddtl",
                "commitment": 18e6,
                "funds": ["b200"],
                "advance_rate": 0.75,
                "undrawn_fee": 0.01,
                "draw_end_month": 30,
                "rate": 0.11,
                "amortization": "linear",
                "maturity_month": 66,
            },
        ],
    },
)


def delayed(months):
    return table_with(GROWTH, {"cohorts": [GROWTH["cohorts"][0] | {"delay_months": months}]})


@pytest.mark.parametrize("backend", HOST_BACKENDS)
@pytest.mark.parametrize("months", [1, 3, 7])
def test_a_k_month_delay_shifts_revenue_by_k_months_and_costs_the_fees_and_interest_of_those_months(backend, months):
    on_time, late = statement_of(GROWTH, backend), statement_of(delayed(months), backend)
    revenue = column(on_time, "revenue_contracted") + column(on_time, "revenue_spot")
    revenue_late = column(late, "revenue_contracted") + column(late, "revenue_spot")
    delivery = 6 - 1  # row of month 6
    np.testing.assert_array_equal(revenue_late[delivery + months :], revenue[delivery : len(revenue) - months])
    np.testing.assert_array_equal(revenue_late[delivery : delivery + months], revenue[delivery - 1])  # still waiting
    np.testing.assert_array_equal(column(late, "gpus")[delivery : delivery + months], 1000.0)

    # While late it earns nothing, but the undrawn fee on the whole commitment, the notes' interest and
    # the committed lease run: exactly these, month by month.
    lease = 500 * 1.4 * 150.0  # IT load (GPUs x kW) x $ per kW-month
    waiting = slice(delivery, delivery + months)
    np.testing.assert_allclose(column(late, "interest_1")[waiting], 18e6 * 0.01 / 12, rtol=1e-13)
    np.testing.assert_allclose(column(late, "interest_0")[waiting], 10e6 * 0.08 / 12, rtol=1e-13)
    np.testing.assert_allclose(column(late, "fixed_charges")[waiting], lease, rtol=1e-13)
    # Over the whole horizon the cohort earns the same (its life fits in both runs, the market is flat),
    # so the delay costs exactly: k months of the fee on what it later draws, less k months of its interest.
    drawn = 0.75 * 500 * 40_000.0
    expected = months * drawn * (0.01 - 0.11) / 12
    difference = column(on_time, "cash")[-1] - column(late, "cash")[-1]
    assert difference == pytest.approx(expected, rel=1e-9, abs=1e-3)


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_a_ddtl_draws_advance_rate_times_cost_then_follows_its_amortization_schedule_to_the_cent(backend):
    statement = statement_of(GROWTH, backend)
    drawn = 0.75 * 500 * 40_000.0
    month = np.arange(1, 121)
    assert column(statement, "draws").tolist() == [drawn if m == 6 else 0.0 for m in month]
    assert column(statement, "capex").tolist() == [500 * 40_000.0 if m == 6 else 0.0 for m in month]
    undrawn = column(statement, "undrawn")
    np.testing.assert_array_equal(undrawn[:5], 18e6)
    np.testing.assert_array_equal(undrawn[5:30], 18e6 - drawn)
    np.testing.assert_array_equal(undrawn[30:], 0.0)  # lapsed at the end of the draw window

    # The schedule, by hand: fee on the undrawn and interest only in the window, then equal principal to maturity.
    balance, principal_due, interest_due = 0.0, [], []
    for m in month:
        fee = (18e6 - (drawn if m >= 6 else 0.0)) * 0.01 / 12 if m <= 30 else 0.0
        balance += drawn if m == 6 else 0.0
        principal = balance / (66 - m + 1) if 30 < m <= 66 else 0.0
        interest_due.append(fee + balance * 0.11 / 12)
        principal_due.append(principal)
        balance -= principal
    np.testing.assert_allclose(column(statement, "principal_1"), principal_due, atol=0.005)
    np.testing.assert_allclose(column(statement, "interest_1"), interest_due, atol=0.005)
    assert balance == pytest.approx(0.0, abs=1e-6)
    assert column(statement, "debt")[-1] == pytest.approx(10e6)  # only the notes are left


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_a_cohort_delivered_in_monthly_tranches_is_paid_drawn_and_put_in_service_tranche_by_tranche(backend):
    cohort = GROWTH["cohorts"][0] | {"delivery_months": 4}
    statement = statement_of(table_with(GROWTH, {"cohorts": [cohort]}), backend)
    cost, drawn = 500 * 40_000.0, 0.75 * 500 * 40_000.0
    arriving = slice(5, 9)  # months 6-9
    np.testing.assert_allclose(column(statement, "capex")[arriving], cost / 4, rtol=1e-15)
    np.testing.assert_allclose(column(statement, "draws")[arriving], drawn / 4, rtol=1e-15)
    assert column(statement, "capex").sum() == pytest.approx(cost) and column(statement, "draws").sum() == drawn
    np.testing.assert_allclose(column(statement, "gpus")[4:10], 1000 + 500 * np.array([0, 1, 2, 3, 4, 4]) / 4)
    # The contract covers its share of what has arrived: contracted revenue ramps with the tranches.
    contracted = column(statement, "revenue_contracted")[arriving]
    np.testing.assert_allclose(contracted, 0.6 * 500 * 730 * 3.0 * np.arange(1, 5) / 4, rtol=1e-13)


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_the_installed_fleet_with_no_plan_has_no_capex_draws_or_fees(backend):
    statement = statement_of(FLAT, backend)
    for name in ("capex", "draws", "undrawn", "fixed_charges", "delay_penalties"):
        np.testing.assert_array_equal(column(statement, name), 0.0)


# --- customers: regime hazards, renewals, delays ------------------------------------------------

# One customer takes the whole fleet and pays exactly the fixed opex: the firm defaults the month it
# loses the customer (the spot price is too low to pay the opex), so default_month is the customer's.
HAZARD = {
    "simulation": {"paths": 40_000, "horizon_months": 48, "seed": 5},
    "market": {
        "price": {"initial": 0.01, "volatility": 0.0, "drift": 0.0},
        "regime": {
            "enabled": True,
            "shortage_to_glut": 0.06,
            "glut_to_shortage": 0.1,
        },
        "utilization": {"enabled": False, "initial": 0.5},
    },
    "firm": {"gpus": 1000, "power_kw": 0.0, "opex_per_gpu_month": 0.0, "fixed_opex_month": 1.46e6, "cash": 0.0},
    "customers": [
        {
            "share": 1.0,
            "price": 2.0,
            "end_month": 1200,
            "annual_default_probability": 0.1,
            "glut_annual_default_probability": 0.6,
        }
    ],
    "debt": [{"principal": 1e6, "maturity_month": 1200}],
}


def survival_closed_form(months, a, b, annual_pd_shortage, annual_pd_glut):
    """pi_0 (T H)^t 1: the regime switches at the start of a month, then the month's hazard applies."""
    hazard = [1 - (1 - pd) ** (1 / 12) for pd in (annual_pd_shortage, annual_pd_glut)]
    step = np.array([[1 - a, a], [b, 1 - b]]) @ np.diag([1 - hazard[0], 1 - hazard[1]])
    return np.array([1.0, 0.0]) @ np.linalg.matrix_power(step, months) @ np.ones(2)


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_customer_survival_with_regime_hazards_matches_the_chain_closed_form_within_4_se(backend):
    outputs = simulate(config_of(HAZARD), backend)
    default_month = outputs["default_month"]
    assert set(outputs["default_cause"][default_month > 0]) == {L.LIQUIDITY}
    paths = len(default_month)
    for months in (6, 12, 24, 48):
        survived = np.mean((default_month < 0) | (default_month > months))
        expected = survival_closed_form(months, 0.06, 0.1, 0.1, 0.6)
        standard_error = math.sqrt(expected * (1 - expected) / paths)
        assert abs(survived - expected) < 4 * standard_error, (months, survived, expected)
    # The wrong way: survival is lower than with the shortage hazard alone, by far more than the noise.
    assert survival_closed_form(48, 0.06, 0.1, 0.1, 0.6) < survival_closed_form(48, 0.06, 0.1, 0.1, 0.1) - 0.1


RENEWING = {
    "simulation": {"paths": 3000, "horizon_months": 60, "seed": 9},
    "market": {
        "price": {"initial": 2.5, "volatility": 0.0, "drift": 0.0},
        "regime": {"enabled": True, "shortage_to_glut": 0.05, "glut_to_shortage": 0.05, "glut": {"utilization": 0.6}},
        "utilization": {"initial": 0.8, "mean": 0.8, "volatility": 0.8},
    },
    "firm": {"cash": 5e6},
    "customers": [
        {"share": 0.6, "price": 2.5, "end_month": 1200, "annual_default_probability": 0.2},
    ],
    "debt": [{"principal": 550e6, "rate": 0.1, "amortization": "annuity", "maturity_month": 60}],
}


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_renewal_with_probability_one_at_spot_and_no_discount_equals_a_contract_that_never_expires(backend):
    renewing = table_with(
        RENEWING,
        {"customers": [RENEWING["customers"][0] | {"end_month": 7, "term_months": 5, "renewal_probability": 1.0}]},
    )
    never_expiring = simulate(config_of(RENEWING), backend)
    assert 0.05 < np.mean(never_expiring["default_month"] > 0) < 0.95  # customer defaults matter
    assert_same_paths(simulate(config_of(renewing), backend), never_expiring, rtol=1e-12)


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_renewal_reprices_at_the_spot_price_less_the_discount(backend):
    table = table_with(
        FLAT,
        {
            "market": {"price": {"drift": -0.2}},
            "customers": [
                {"share": 0.5, "price": 3.0, "end_month": 12, "term_months": 12, "renewal_probability": 1.0}
                | {"renewal_discount": 0.2}
            ],
        },
    )
    table["simulation"]["base_case"] = False  # renewal is a random event: the plan never renews
    table["market"]["price"]["volatility"] = 0.0
    statement = statement_of(table, backend)
    contracted = column(statement, "revenue_contracted") / (0.5 * 1000 * 730)
    price = column(statement, "price")
    np.testing.assert_allclose(contracted[:12], 3.0, rtol=1e-13)
    np.testing.assert_allclose(contracted[12:24], price[12] * 0.8, rtol=1e-13)  # renewed in month 13
    np.testing.assert_allclose(contracted[24:36], price[24] * 0.8, rtol=1e-13)


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_a_late_cohort_owes_its_customer_the_penalty_past_the_limit_or_loses_it(backend):
    contract = GROWTH["customers"][0] | {"delay_limit_months": 2, "delay_penalty": 0.25}
    statement = statement_of(table_with(delayed(5), {"customers": [contract]}), backend)
    monthly_value = 0.6 * 500 * 730 * 3.0
    # Planned for month 6, it arrives in month 11: late in months 6..10, past the 2-month limit in 8..10.
    expected = [0.25 * monthly_value if 8 <= m <= 10 else 0.0 for m in range(1, 121)]
    np.testing.assert_allclose(column(statement, "delay_penalties"), expected, rtol=1e-13)

    walks = table_with(delayed(5), {"customers": [contract | {"terminates_on_delay": True}]})
    np.testing.assert_array_equal(column(statement_of(walks, backend), "revenue_contracted"), 0.0)


# --- delivery slips --------------------------------------------------------------------------------

# The delivery costs more than the firm has: it defaults in the month the cohort arrives.
SLIPPING = {
    "simulation": {"paths": 40_000, "horizon_months": 24, "seed": 13},
    "market": {"price": {"volatility": 0.0}, "utilization": {"enabled": False}},
    "firm": {"cash": 1e6, "fixed_opex_month": 0.0},
    "cohorts": [{"name": "late", "gpus": 10_000, "gpu_cost": 50_000.0, "delivery_month": 3}],
    "delivery_delays": {"slip_probability": 0.45, "max_months": 6},
    "debt": [{"principal": 1e6, "maturity_month": 1200}],
}


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_random_slips_are_geometric_and_truncated_within_4_se(backend):
    default_month = simulate(config_of(SLIPPING), backend)["default_month"]
    slip = default_month - 3
    assert slip.min() == 0 and slip.max() == 6
    for months in range(1, 7):
        expected = 0.45**months  # P(S >= k) = q^k up to the cap
        standard_error = math.sqrt(expected * (1 - expected) / len(slip))
        assert abs(np.mean(slip >= months) - expected) < 4 * standard_error, months


# --- generations --------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_each_cohort_earns_its_generations_price_and_launches_spare_the_newest_until_it_arrives(backend):
    table = table_with(
        FLAT,
        {
            "simulation": {"base_case": False, "horizon_months": 60},
            "market": {"price": {"jump_intensity": 3.0, "jump_size": 0.2, "volatility": 0.3}},
            "generations": [
                {"name": "H100", "relative_price": 1.0},
                {"name": "GB300", "relative_price": 1.6, "newest_at_delivery": True},
            ],
            "cohorts": [
                {"name": "gb300", "generation": "GB300", "gpus": 500, "gpu_cost": 60_000.0, "delivery_month": 12}
            ],
        },
    )
    statement = statement_of(table, backend, path=2)
    launches, price = column(statement, "launches"), column(statement, "price")
    assert launches[11] >= 1 and launches[-1] > launches[11]  # launches before and after the delivery
    hours = 730 * 0.8
    expected = 1000 * hours * price
    expected[11:] += 500 * hours * price[11:] * 1.6 / (1 - 0.2) ** launches[11]
    np.testing.assert_allclose(column(statement, "revenue_spot"), expected, rtol=1e-12)


def test_fixed_charges_escalate_yearly_from_their_start():
    table = table_with(
        FLAT,
        {"obligations": [{"monthly": 1e6, "start_month": 4, "end_month": 40, "escalation": 0.05}]},
    )
    charges = column(statement_of(table), "fixed_charges")
    expected = [1e6 * 1.05 ** ((m - 4) / 12) if 4 <= m <= 40 else 0.0 for m in range(1, 121)]
    np.testing.assert_allclose(charges, expected, rtol=1e-13)


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_a_contract_whose_term_runs_out_while_its_cohort_is_late_lapses_and_owes_no_more_penalties(backend):
    contract = {"name": "a", "cohort": "b200", "share": 0.6, "price": 3.0, "end_month": 8}
    contract |= {"delay_limit_months": 0, "delay_penalty": 1.0}
    statement = statement_of(table_with(delayed(5), {"customers": [contract]}), backend)
    monthly_value = 0.6 * 500 * 730 * 3.0
    expected = [monthly_value if 6 <= m <= 8 else 0.0 for m in range(1, 121)]  # late in 6-8, ended after 8
    np.testing.assert_allclose(column(statement, "delay_penalties"), expected, rtol=1e-13)
    np.testing.assert_array_equal(column(statement, "revenue_contracted"), 0.0)


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_tranches_due_after_a_cohort_has_retired_are_never_bought(backend):
    cohort = GROWTH["cohorts"][0] | {"delivery_months": 12, "useful_life_months": 3}
    statement = statement_of(table_with(GROWTH, {"cohorts": [cohort]}), backend)
    tranche = 500 * 40_000.0 / 12
    assert column(statement, "capex").tolist() == [tranche if 6 <= m <= 9 else 0.0 for m in range(1, 121)]
    assert column(statement, "gpus").max() == 1000 + 500 * 4 / 12


@pytest.mark.parametrize(
    ("layer", "field"),
    [
        (
            {"customers": [{"cohort": "installed", "share": 0.5, "price": 2.0, "term_months": 12}]},
            "customers[0].end_month",
        ),
        ({"customers": [{"cohort": "b200", "share": 0.5, "price": 2.0, "end_month": 3}]}, "customers[0].end_month"),
        ({"generations": [{"name": "H100"}, {"name": "H100"}]}, "generations[1].name"),
        ({"debt": [{"principal": 1e6, "maturity_month": 12, "funds": ["nope"]}]}, "debt[0].funds"),
    ],
)
def test_contracts_generations_and_facilities_that_cannot_mean_anything_are_refused_naming_the_field(layer, field):
    from gpu_stress.config.load import ConfigError

    with pytest.raises(ConfigError) as error:
        config_of(table_with(GROWTH, layer))
    assert str(error.value).startswith(f"{field}: "), str(error.value)

"""Named obligors (issue 30, item 1): one default time per obligor and path, shared by its contracts and by every
firm of a portfolio; its hazard and the one-factor correlation against closed forms; cpu against the oracle and the
CUDA simulator path by path; what changes nothing."""

import math

import numpy as np
import pytest

from conftest import HOST_BACKENDS
from gpu_stress.backends import get_backend
from gpu_stress.backends.launch import Launch
from gpu_stress.config.load import ConfigError, validate
from gpu_stress.kernels import layout as L
from gpu_stress.params import portfolio_matrix
from helpers import (
    FLAT_FIRM,
    FULL_MODEL,
    assert_same_paths,
    config_of,
    per_path,
    simulate,
    statement_line,
    statement_of,
    table_with,
)

MONTE_CARLO = {"simulation": {"paths": 4000, "horizon_months": 24, "seed": 7, "base_case": False}}
# Two fleet-wide contracts of one obligor on the flat firm, which nothing else can end: it has no debt and pays
# no cost, so it lives to the horizon on every path and sees every default of its obligor.
TWO_CONTRACTS = table_with(
    FLAT_FIRM,
    MONTE_CARLO,
    {
        "obligors": [{"name": "Lab", "annual_default_probability": 0.3}],
        "customers": [
            {"name": "training", "share": 0.5, "price": 2.5, "end_month": 60, "obligor": "Lab"},
            {"name": "inference", "share": 0.3, "price": 2.4, "end_month": 60, "obligor": "Lab"},
        ],
    },
)


def obligor_months(result, obligor=0):
    return result[f"obligor_default_month_{obligor}"]


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_an_obligor_defaults_with_its_annual_probability(backend):
    config = config_of(TWO_CONTRACTS)
    months = obligor_months(simulate(config, backend))
    share = np.mean(months > 0)
    expected = 1 - (1 - 0.3) ** 2  # within 24 months
    assert abs(share - expected) < 4 * math.sqrt(expected * (1 - expected) / months.size), share
    assert months[months > 0].min() >= 1 and months.max() <= 24


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_both_contracts_of_an_obligor_end_in_the_month_it_defaults(backend):
    months = obligor_months(simulate(config_of(TWO_CONTRACTS), backend, paths=40))
    path = int(np.flatnonzero((months > 1) & (months < 24))[0])
    statement = statement_of(TWO_CONTRACTS, backend, path=path)
    month = int(months[path])
    both = 2000 * 730 * (0.5 * 2.5 + 0.3 * 2.4)  # $: GPUs x hours x shares x prices (take-or-pay)
    assert statement_line(statement, "revenue_contracted", month - 1) == pytest.approx(both, rel=1e-12)
    assert statement_line(statement, "revenue_contracted", month) == 0.0


def test_an_obligors_contract_ends_although_its_cohort_has_not_come():
    table = table_with(
        TWO_CONTRACTS,
        {"cohorts": [{"name": "later", "gpus": 500, "gpu_cost": 1.0, "delivery_month": 20, "power_kw": 0.0}]},
    )
    table["customers"] = [{"name": "later", "cohort": "later", "share": 1.0, "price": 3.0, "term_months": 24}]
    table["customers"][0]["obligor"] = "Lab"
    config = config_of(table)
    result = simulate(config, "cpu", paths=200)
    path = int(np.flatnonzero((obligor_months(result) > 0) & (obligor_months(result) < 20))[0])
    statement = statement_of(table, "cpu", path=path)
    assert statement_line(statement, "revenue_contracted", 21) == 0.0  # the cohort came; its customer had gone


def test_a_portfolio_sees_one_default_month_per_obligor_in_every_firm():
    lab = {"name": "Lab", "annual_default_probability": 0.3}
    firm = {key: value for key, value in TWO_CONTRACTS.items() if key != "simulation"}
    portfolio = {
        "simulation": MONTE_CARLO["simulation"] | {"paths": 2000},
        "firms": [{"name": "First", "config": firm}, {"name": "Second", "config": table_with(firm, {})}],
    }
    config = validate(portfolio)
    assert [firm.obligors[0].name for firm in config.firm_configs] == ["Lab", "Lab"]
    for backend in HOST_BACKENDS:
        _, outputs_int, _ = get_backend(backend).simulate_portfolio(
            Launch(portfolio_matrix(config), 24, 7, 0, 0, 2000, dtype=np.float64)
        )
        first, other = (np.asarray(outputs_int[f][L.OUT_OBLIGOR_DEFAULT_MONTH]) for f in (0, 1))
        np.testing.assert_array_equal(first, other)
        assert 0.4 < np.mean(first > 0) < 0.6, backend
    # Defined apart, the obligor is refused by name, unless the portfolio defines it once for all.
    portfolio["firms"][1]["config"]["obligors"] = [lab | {"annual_default_probability": 0.1}]
    with pytest.raises(ConfigError, match=r"firms\[1\]\.config\.obligors\[0\]: obligor 'Lab' differs"):
        validate(portfolio)
    config = validate(portfolio | {"obligors": [lab]})
    assert {firm.obligors[0].annual_default_probability for firm in config.firm_configs} == {0.3}
    with pytest.raises(ConfigError, match=r"^obligors\[1\]\.name: obligor 'Lab' is listed twice"):
        validate(portfolio | {"obligors": [lab, lab]})
    portfolio["firms"][1]["config"]["obligors"] = [lab, lab]
    with pytest.raises(ConfigError, match=r"firms\[1\]\.config\.obligors\[1\]\.name: obligor 'Lab' is listed twice"):
        validate(portfolio)


def joint_default_probability(hazard, loading):
    """P(two obligors with hazard h and loading rho both default in one month) = E[p(Z)^2] (Gauss-Hermite)."""
    from statistics import NormalDist

    nodes, weights = np.polynomial.hermite_e.hermegauss(96)
    threshold = NormalDist().inv_cdf(hazard)
    conditional = [NormalDist().cdf((threshold - math.sqrt(loading) * z) / math.sqrt(1 - loading)) for z in nodes]
    return float(np.dot(weights, np.square(conditional)) / math.sqrt(2 * math.pi))


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_the_credit_factor_correlates_defaults_as_the_one_factor_model_says(backend):
    monthly, loading = 0.2, 0.4
    annual = 1 - (1 - monthly) ** 12
    obligors = [{"name": name, "annual_default_probability": annual, "factor_loading": loading} for name in "AB"]
    table = table_with(TWO_CONTRACTS, {"simulation": {"paths": 20_000, "horizon_months": 1}})
    table["obligors"] = obligors
    table["customers"][1]["obligor"] = "B"
    table["customers"][0]["obligor"] = "A"
    result = simulate(config_of(table), backend)
    first, second = obligor_months(result, 0) > 0, obligor_months(result, 1) > 0
    paths = first.size
    for defaults in (first, second):  # the factor moves each obligor's monthly probability but not its mean
        assert abs(defaults.mean() - monthly) < 4 * math.sqrt(monthly * (1 - monthly) / paths)
    both = joint_default_probability(monthly, loading)
    assert both > monthly**2 * 1.5  # the closed form itself: correlated
    assert abs(np.mean(first & second) - both) < 4 * math.sqrt(both * (1 - both) / paths)


def test_obligors_no_one_names_change_no_output():
    table = table_with(FULL_MODEL, {"simulation": {"paths": 600}})
    named = table_with(
        table, {"obligors": [{"name": "Idle", "annual_default_probability": 0.5, "factor_loading": 0.5}]}
    )
    plain, with_obligor = simulate(config_of(table), "cpu"), simulate(config_of(named), "cpu")
    for name in (*L.PATH_INT_OUTPUT_NAMES, *L.FLOAT_OUTPUT_NAMES, "tranche_default_month_0"):
        np.testing.assert_array_equal(plain[name], with_obligor[name], err_msg=name)


OBLIGOR_MODEL = table_with(
    FULL_MODEL,
    {
        "simulation": {"paths": 1500},
        "obligors": [
            {"name": "Hyperscaler", "annual_default_probability": 0.02, "glut_annual_default_probability": 0.08},
            {
                "name": "Lab",
                "annual_default_probability": 0.15,
                "glut_annual_default_probability": 0.4,
                "factor_loading": 0.3,
            },
            {"name": "Vendor", "annual_default_probability": 0.05, "factor_loading": 0.2},
        ],
    },
)
for _customer in OBLIGOR_MODEL["customers"]:
    _customer.pop("annual_default_probability", None)
    _customer.pop("glut_annual_default_probability", None)
    _customer["obligor"] = "Lab"
OBLIGOR_MODEL["customers"][0]["obligor"] = "Hyperscaler"
OBLIGOR_MODEL["vendor"] = {"obligor": "Vendor"}
# The lab's default moves the market on half the paths it defaults on (issue 30, item 2).
OBLIGOR_MODEL["obligors"][1] |= {"market_impact_probability": 0.5, "price_jump": 0.2, "switches_to_glut": True}


def test_cpu_matches_numpy_path_by_path_with_obligors():
    config = config_of(OBLIGOR_MODEL)
    cpu, oracle = simulate(config, "cpu", tracked=64), simulate(config, "numpy", tracked=64)
    assert_same_paths(cpu, oracle)
    np.testing.assert_allclose(cpu["tracks"], oracle["tracks"], rtol=1e-12)
    for obligor in range(3):
        assert (obligor_months(cpu, obligor) > 0).any(), obligor


@pytest.mark.slow
def test_the_cuda_kernels_agree_on_the_simulator_with_obligors(tmp_path):
    from test_cuda import SMALL, as_outputs, run_on_simulator

    table = table_with(OBLIGOR_MODEL, SMALL)
    assert_same_paths(as_outputs(run_on_simulator(tmp_path, table)), per_path(simulate(config_of(table), "cpu")))


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (
            {"customers": [{"name": "x", "share": 0.5, "price": 2.0, "end_month": 6, "obligor": "Nobody"}]},
            r"customers\[0\]\.obligor: no obligor named 'Nobody'",
        ),
        (
            {
                "customers": [
                    {
                        "name": "x",
                        "share": 0.5,
                        "price": 2.0,
                        "end_month": 6,
                        "obligor": "Lab",
                        "annual_default_probability": 0.1,
                    }
                ]
            },
            r"customers\[0\]\.annual_default_probability: set by its obligor 'Lab'",
        ),
        ({"obligors": [{"name": "Lab"}, {"name": "Lab"}]}, r"obligors\[1\]\.name: obligor 'Lab' is listed twice"),
        ({"backstop": {"obligor": "Nobody"}}, r"backstop\.obligor: no obligor named 'Nobody'"),
        ({"obligors": [{"name": "Lab", "factor_loading": 1.0}]}, r"obligors\[0\]\.factor_loading"),
    ],
)
def test_bad_obligors_are_refused_by_name(change, named):
    table = table_with(TWO_CONTRACTS, change)
    with pytest.raises(ConfigError, match=named):
        validate(table)


# --- issue 30, item 3: a stress overlay's obligor default ---


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_an_obligor_default_overlay_ends_every_contract_of_the_obligor_in_its_month(backend):
    baseline = obligor_months(simulate(config_of(TWO_CONTRACTS), backend))
    stressed_table = table_with(TWO_CONTRACTS, {"overlay": {"obligor_default": {"obligor": "Lab", "month": 12}}})
    stressed = obligor_months(simulate(config_of(stressed_table), backend))
    # a path whose obligor had defaulted by month 12 keeps its month (the draws are the baseline's); the rest, 12
    expected = np.where((baseline > 0) & (baseline <= 12), baseline, 12)
    np.testing.assert_array_equal(stressed, expected)
    path = int(np.flatnonzero(baseline > 12)[0])
    statement = statement_of(stressed_table, backend, path=path)
    assert statement_line(statement, "revenue_contracted", 11) > 0
    assert statement_line(statement, "revenue_contracted", 12) == 0.0  # both contracts


def test_an_obligor_default_overlay_hits_every_firm_of_a_portfolio():
    firm = {key: value for key, value in TWO_CONTRACTS.items() if key != "simulation"}
    portfolio = {
        "simulation": MONTE_CARLO["simulation"] | {"paths": 500},
        "overlay": {"obligor_default": {"obligor": "Lab", "month": 3}},
        "firms": [{"name": "First", "config": firm}, {"name": "Second", "config": table_with(firm, {})}],
    }
    config = validate(portfolio)
    for backend in HOST_BACKENDS:
        _, outputs_int, _ = get_backend(backend).simulate_portfolio(
            Launch(portfolio_matrix(config), 24, 7, 0, 0, 500, dtype=np.float64)
        )
        for firm_outputs in outputs_int:
            months = np.asarray(firm_outputs[L.OUT_OBLIGOR_DEFAULT_MONTH])
            assert ((months >= 1) & (months <= 3)).all(), backend
            assert (months == 3).mean() > 0.8


def test_the_stress_library_defaults_openai_and_the_largest_hyperscaler():
    from gpu_stress.config.stresses import library

    stresses = library()
    assert stresses["openai-defaults-12m"]["obligor_default"] == {"obligor": "OpenAI", "month": 12}
    assert stresses["largest-hyperscaler-defaults"]["obligor_default"] == {"obligor": "Microsoft", "month": 12}


def test_an_obligor_default_overlay_names_an_obligor_that_exists():
    table = table_with(TWO_CONTRACTS, {"overlay": {"obligor_default": {"obligor": "Nobody", "month": 12}}})
    with pytest.raises(ConfigError, match=r"overlay\.obligor_default\.obligor: no obligor named 'Nobody'"):
        validate(table)
    table = table_with(TWO_CONTRACTS, {"stress": [{"name": "x", "obligor_default": {"obligor": "Nobody", "month": 1}}]})
    with pytest.raises(ConfigError, match=r"stress\[0\]\.obligor_default\.obligor: no obligor named 'Nobody'"):
        validate(table)


# --- issue 30, item 2: wrong-way jumps ---

MOVES = {"market_impact_probability": 0.5, "price_jump": 0.5}


def with_lab(table, **settings):
    table = table_with(table)
    table["obligors"] = [table["obligors"][0] | settings, *table["obligors"][1:]]
    return table


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_an_obligors_default_cuts_the_price_in_its_month_with_its_impact_probability(backend):
    paths = 4000
    plain = simulate(config_of(TWO_CONTRACTS), backend, tracked=paths)
    moved = simulate(config_of(with_lab(TWO_CONTRACTS, **MOVES)), backend, tracked=paths)
    np.testing.assert_array_equal(obligor_months(moved), obligor_months(plain))  # the impact takes no draw
    ratio = moved["tracks"][:, :, L.TRACK_PRICE] / plain["tracks"][:, :, L.TRACK_PRICE]
    months = obligor_months(plain)
    defaulted = np.flatnonzero(months > 0)
    steps = np.arange(ratio.shape[1]) + 1
    for path in defaulted[:200]:
        before, after = ratio[path, steps < months[path]], ratio[path, steps >= months[path]]
        np.testing.assert_array_equal(before, 1.0)
        np.testing.assert_allclose(after, after[0], rtol=1e-12)  # kept from then on
    cut = np.isclose(ratio[defaulted, -1], 0.5, rtol=1e-12)
    assert np.all(cut | (ratio[defaulted, -1] == 1.0))
    assert np.all(ratio[months == 0] == 1.0)
    share, q = cut.mean(), MOVES["market_impact_probability"]
    assert abs(share - q) < 4 * math.sqrt(q * (1 - q) / defaulted.size), share


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_an_obligors_default_can_turn_the_market_to_glut(backend):
    table = table_with(TWO_CONTRACTS, {"market": {"regime": {"shortage_to_glut": 0.0, "glut_to_shortage": 0.0}}})
    result = simulate(
        config_of(with_lab(table, market_impact_probability=1.0, switches_to_glut=True)), backend, tracked=4000
    )
    glut, months = result["tracks"][:, :, L.TRACK_GLUT], obligor_months(result)
    steps = np.arange(glut.shape[1]) + 1
    np.testing.assert_array_equal(glut, (months[:, None] > 0) & (steps[None, :] >= months[:, None]))


def test_a_market_impact_of_size_zero_changes_nothing():
    plain = simulate(config_of(TWO_CONTRACTS), "cpu", tracked=500)
    for settings in (
        {"market_impact_probability": 0.0, "price_jump": 0.5, "switches_to_glut": True},
        {"market_impact_probability": 1.0, "price_jump": 0.0, "switches_to_glut": False},
    ):
        moved = simulate(config_of(with_lab(TWO_CONTRACTS, **settings)), "cpu", tracked=500)
        for name in (*L.PATH_INT_OUTPUT_NAMES, *L.FLOAT_OUTPUT_NAMES, "tracks"):
            np.testing.assert_array_equal(plain[name], moved[name], err_msg=f"{settings}: {name}")


def test_a_price_jump_at_an_obligors_default_never_spares_a_default_and_raises_every_firms_expected_loss():
    """The neoclouds book, OpenAI's default cutting GPU prices by 30 % against no cut, on common random numbers.

    Path by path no firm escapes a default or defaults later. Its loss is not monotone path by path: with
    cheaper GPUs a firm borrows and refinances less against them before it fails, and one that fails sooner
    does so on younger GPUs (docs/model.md, "Named obligors"); the expected loss rises (4 paired SE)."""
    from gpu_stress.config.load import read_preset

    paths, horizon, never = 3000, 60, 10**6
    losses, months = [], []
    for price_jump in (0.0, 0.3):
        table = read_preset("neoclouds")
        openai = {"name": "OpenAI", "annual_default_probability": 0.04, "glut_annual_default_probability": 0.12}
        moves = {"factor_loading": 0.14, "market_impact_probability": 1.0, "price_jump": price_jump}
        table["obligors"] = [openai | moves]
        outputs_float, outputs_int, _ = get_backend("cpu").simulate_portfolio(
            Launch(portfolio_matrix(validate(table)), horizon, 7, 0, 0, paths, dtype=np.float64)
        )
        losses.append(np.asarray(outputs_float)[:, L.OUT_LOSS])
        default_month = np.asarray(outputs_int)[:, L.OUT_DEFAULT_MONTH]
        months.append(np.where(default_month > 0, default_month, never))
    assert np.all(months[1] <= months[0])
    assert (months[1] < months[0]).sum() > 100  # the test bites
    change = losses[1] - losses[0]
    se = change.std(axis=1, ddof=1) / math.sqrt(paths)
    assert np.all(change.mean(axis=1) > -4 * se), change.mean(axis=1)
    total = change.sum(axis=0)
    assert total.mean() > 4 * total.std(ddof=1) / math.sqrt(paths)


@pytest.mark.slow
def test_the_cuda_portfolio_kernel_on_the_simulator_sees_one_default_month_per_obligor(tmp_path):
    import os
    import subprocess
    import sys

    from test_portfolio_oracle import _SIMULATOR_SCRIPT

    firm = {key: value for key, value in TWO_CONTRACTS.items() if key != "simulation"}
    firm["obligors"] = [firm["obligors"][0] | MOVES]
    portfolio = {
        "simulation": MONTE_CARLO["simulation"] | {"paths": 64},
        "firms": [{"name": "First", "config": firm}, {"name": "Second", "config": table_with(firm, {})}],
    }
    params = portfolio_matrix(validate(portfolio))
    inputs, outputs = tmp_path / "inputs.npz", tmp_path / "outputs.npz"
    np.savez(inputs, params=params, horizon=24, seed=7, paths=64)
    script = tmp_path / "simulate.py"
    script.write_text(_SIMULATOR_SCRIPT)
    environment = dict(os.environ, NUMBA_ENABLE_CUDASIM="1")
    command = [sys.executable, str(script), str(inputs), str(outputs)]
    result = subprocess.run(command, capture_output=True, text=True, env=environment)
    assert result.returncode == 0, result.stderr
    simulated = np.load(outputs)
    cuda_float, cuda_int = simulated["arr_0"], simulated["arr_1"]
    cpu_float, cpu_int, _ = get_backend("cpu").simulate_portfolio(Launch(params, 24, 7, 0, 0, 64, dtype=np.float64))
    np.testing.assert_array_equal(cuda_int, np.asarray(cpu_int))
    np.testing.assert_allclose(cuda_float, np.asarray(cpu_float), rtol=1e-9, atol=1e-6)
    months = cuda_int[:, L.OUT_OBLIGOR_DEFAULT_MONTH]
    np.testing.assert_array_equal(months[0], months[1])
    assert (months[0] > 0).sum() > 10


def test_the_sure_survival_bound_is_above_phi_of_minus_two_by_more_than_any_rounding():
    from gpu_stress.kernels.obligors import ABOVE_PHI_MINUS_TWO

    phi = 0.5 * math.erfc(2 / math.sqrt(2))  # Phi(-2)
    assert phi < ABOVE_PHI_MINUS_TWO
    assert ABOVE_PHI_MINUS_TWO - phi > 1e3 * np.finfo(np.float32).eps * phi  # float32's erfc is far closer

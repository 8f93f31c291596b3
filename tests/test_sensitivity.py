"""gpu-stress sensitivity: bumps on common random numbers, checked against the Black-Cox closed form.

The validation case (:func:`black_cox_config`) is a firm whose only way to default is its
GPU price crossing a barrier, with every friction off: regimes on, starting in shortage
with ``shortage_to_glut = 1`` and ``glut_to_shortage = 0``, so the market is in glut from
month 1 while the planned price path (which collateral is valued against) keeps the
shortage drift; no jumps, no price floor, no age decay or useful-life cliff within the
horizon, one zero-coupon bullet maturing after it (no debt service, so no liquidity
default), no customers, and an LTV covenant tested every month with no cure. Collateral
is V = V0 (P / planned P) (elasticity 1), so LTV = D / V > 1 exactly when

    X_t = ln(P_t / planned P_t) < b = ln(D / V0),

and X is a Brownian motion with drift nu = (mu_g - sg^2 / 2) - (mu_s - ss^2 / 2) per year
and volatility sg, monitored monthly: PD is the Black-Cox first-passage probability
(``gpu_stress.analysis.black_cox``), which :func:`test_the_config_is_a_barrier` checks
path by path before anything relies on it.
"""

import json
import math

import numpy as np
import pyarrow as pa
import pytest
from click.testing import CliRunner

from gpu_stress import api
from gpu_stress.analysis import black_cox, sensitivity, sensitivity_schema
from gpu_stress.backends.oracle.rng import box_muller, draw_block
from gpu_stress.cli import main

MONTHS = 24
YEARS = MONTHS / 12
LEVERAGE = 0.6  # debt / V0: the barrier is ln 0.6
SHORTAGE = (0.0, 0.2)  # (drift, volatility) of the planned path
GLUT = (-0.1, 0.3)  # of the price, from month 1
V0 = 1000 * 10_000.0


def black_cox_config(glut_drift=GLUT[0], glut_volatility=GLUT[1]):
    """The firm of the module docstring, as a config dict."""
    return {
        "simulation": {"horizon_months": MONTHS, "band_paths": 0},
        "market": {
            "price": {"initial": 0.05, "drift": 0.0, "volatility": 0.2, "jump_intensity": 0.0, "floor_multiple": 0.0},
            "regime": {
                "enabled": True,
                "initial": "shortage",
                "shortage_to_glut": 1.0,
                "glut_to_shortage": 0.0,
                "shortage": {"drift": SHORTAGE[0], "volatility": SHORTAGE[1]},
                "glut": {"drift": glut_drift, "volatility": glut_volatility},
                "planned_path": "initial",  # the barrier moves with the shortage's drift, not the glut's
            },
            "rates": {"enabled": False},
        },
        "firm": {
            "gpus": 1000,
            "gpu_cost": 10_000.0,
            "gpu_age_months": 0,
            "useful_life_months": 1200,
            "power_kw": 0.0,
            "electricity_price": 0.0,
            "opex_per_gpu_month": 0.0,
            "fixed_opex_month": 0.0,
            "cash": 0.0,
        },
        "collateral": {"price_elasticity": 1.0, "age_decay": 0.0, "fire_sale_haircut": 0.5},
        "covenants": {"ltv_max": 1.0, "dscr_min": 0.0, "test_every_months": 1, "cure_tests": 0},
        "refinancing": {"enabled": False},
        "equity": {"enabled": False},
        "customers": [],
        "debt": [{"name": "bullet", "principal": LEVERAGE * V0, "rate": 0.0, "maturity_month": 1200}],
    }


def nu(glut_drift, glut_volatility):
    """Drift per year of X = ln(P / planned P)."""
    return (glut_drift - glut_volatility**2 / 2) - (SHORTAGE[0] - SHORTAGE[1] ** 2 / 2)


def closed_form_pd(glut_drift=GLUT[0], glut_volatility=GLUT[1]):
    """PD of the config: the first passage of X below ln(LEVERAGE) at one of the months 1..MONTHS."""
    drift = nu(glut_drift, glut_volatility)
    return black_cox.discrete_probability(math.log(LEVERAGE), drift, glut_volatility, YEARS, MONTHS)


def test_the_discrete_closed_form():
    """The recursion has converged on its grid, lies below continuous monitoring, and BGK's correction
    (an O(dt) approximation) is within 0.005 of it: the recursion, not BGK, is the reference below."""
    b, drift, s = math.log(LEVERAGE), nu(*GLUT), GLUT[1]
    exact = closed_form_pd()
    finer = black_cox.discrete_probability(b, drift, s, YEARS, MONTHS, points_per_sd=80, width_sd=12)
    assert abs(exact - finer) < 1e-5
    assert exact < black_cox.continuous_probability(b, drift, s, YEARS)
    assert abs(black_cox.bgk_probability(b, drift, s, YEARS, MONTHS) - exact) < 5e-3
    # One monitoring date: P(X_1 <= b), a normal probability.
    one = black_cox.discrete_probability(b, drift, s, 1 / 12, 1)
    assert abs(one - black_cox.normal_cdf((b - drift / 12) / (s * math.sqrt(1 / 12)))) < 1e-6


def test_the_config_is_a_barrier():
    """Every path defaults (by the LTV covenant) in the first month its price surprise is below b, and only then."""
    seed, paths = 5, 4000
    results = api.run(config=black_cox_config(), paths=paths, seed=seed, backend="auto", warn=False)
    table = results.paths.sort_by("path_id")
    ids = np.arange(paths, dtype=np.uint64)
    dt = 1 / 12
    steps = []
    for month in range(1, MONTHS + 1):
        bits = draw_block(seed, 0, ids, month, 0)  # the market's block: e_price, e_rate, u_jump, u_regime
        e_price, _ = box_muller(bits[0], bits[1], np.float64)
        steps.append(nu(*GLUT) * dt + GLUT[1] * math.sqrt(dt) * e_price)
    surprise = np.cumsum(np.array(steps), axis=0)  # (month, path)
    below = surprise < math.log(LEVERAGE)
    first = np.where(below.any(axis=0), below.argmax(axis=0) + 1, 0)
    month = table["default_month"].to_numpy(zero_copy_only=False)
    month = np.where(np.isnan(month.astype(float)), 0, month).astype(int)
    near = (np.abs(surprise - math.log(LEVERAGE)) < 1e-9).any(axis=0)  # a tie the two roundings may break apart
    assert near.sum() <= 2
    assert np.array_equal(month[~near], first[~near])
    causes = set(table["default_cause"].drop_null().cast(pa.string()).to_pylist())
    assert causes == {"ltv"}
    assert 0.3 < (first > 0).mean() < 0.45


def test_dpd_dsigma_matches_black_cox():
    """The paired estimate of dPD/dsigma (glut volatility, which also moves the drift nu) from the high and
    low bumps lies within 2 standard errors of the derivative of the closed form; the central difference's
    own bias (f''' h^2 / 6, from the closed form) is far below that SE, so the test is of the estimator."""
    result = sensitivity(
        black_cox_config(), parameters=["market.regime.glut.volatility"], paths=200_000, seed=11, backend="auto"
    )
    (row,) = result.rows
    change = row.changes["pd"]
    s, step = GLUT[1], 1e-4
    derivative = (closed_form_pd(glut_volatility=s + step) - closed_form_pd(glut_volatility=s - step)) / (2 * step)
    secant = (closed_form_pd(glut_volatility=row.high_value) - closed_form_pd(glut_volatility=row.low_value)) / (
        row.high_value - row.low_value
    )
    assert abs(row.low_value - 0.27) < 1e-12 and abs(row.high_value - 0.33) < 1e-12  # the 10 % bump
    assert abs(secant - derivative) < 0.25 * change.slope_se
    assert abs(change.slope - derivative) < 2 * change.slope_se, (change.slope, change.slope_se, derivative)
    assert change.slope_se < 0.02 * derivative  # meaningful: SE under 2 % of the derivative
    base_se = math.sqrt(change.base * (1 - change.base) / 200_000)
    assert abs(change.base - closed_form_pd()) < 3 * base_se
    # The paired SE is far below the SE of two independent estimates.
    assert change.high_se < 0.5 * math.sqrt(2) * base_se


def test_paired_standard_errors_match_the_spread_over_seeds():
    """Over independent seeds, the changes scatter as their paired SEs say (PD, EL and the CVaR linearization):
    the ratio of the observed standard deviation to the mean reported SE is near 1 (8 seeds: within 0.5-1.6)."""
    changes = {metric: [] for metric in ("pd", "expected_loss", "cvar_99")}
    errors = {metric: [] for metric in changes}
    for seed in range(100, 108):
        result = sensitivity(
            black_cox_config(), parameters=["market.regime.glut.drift"], paths=10_000, seed=seed, backend="auto"
        )
        (row,) = result.rows
        for metric in changes:
            change = row.changes[metric]
            changes[metric].append(change.high - change.base)
            errors[metric].append(change.high_se)
    for metric in changes:
        ratio = np.std(changes[metric], ddof=1) / np.mean(errors[metric])
        assert 0.5 < ratio < 1.6, (metric, ratio)


def run_cli(*arguments):
    return CliRunner().invoke(main, list(arguments))


@pytest.fixture(scope="module")
def config_file(tmp_path_factory):
    """black_cox_config() as a TOML file (the CLI takes files)."""

    def toml_literal(value):  # numbers, strings, booleans, lists and inline tables of them
        if isinstance(value, list):
            return "[" + ", ".join(toml_literal(item) for item in value) + "]"
        if isinstance(value, dict):
            return "{ " + ", ".join(f"{key} = {toml_literal(item)}" for key, item in value.items()) + " }"
        return json.dumps(value)

    def lines(table, prefix=""):
        scalars = {key: value for key, value in table.items() if not isinstance(value, dict)}
        text = f"[{prefix}]\n" if prefix and scalars else ""
        text += "".join(f"{key} = {toml_literal(value)}\n" for key, value in scalars.items())
        for key, value in table.items():
            if isinstance(value, dict):
                text += lines(value, f"{prefix}.{key}" if prefix else key)
        return text

    path = tmp_path_factory.mktemp("config") / "black_cox.toml"
    path.write_text(lines(black_cox_config()))
    return path


SMALL = ("--paths", "2000", "--seed", "3")


def effect(row, metric):
    """The larger |change| of ``metric`` in a row of ``--format json`` (a skipped direction counts 0)."""
    change = row[metric]
    return max(abs(change[end] - change["base"]) if change[end] is not None else 0.0 for end in ("low", "high"))


def test_cli_table_csv_and_json(config_file):
    shown = run_cli("sensitivity", str(config_file), "--group", "market.regime", *SMALL)
    assert shown.exit_code == 0, shown.output
    assert "market.regime.glut.volatility" in shown.stdout and "PD low" in shown.stdout
    assert "no effect" in shown.stdout  # shortage utilization: the market leaves shortage before any month
    assert "high skipped" in shown.stdout  # shortage_to_glut = 1, the top of its range
    as_csv = run_cli("sensitivity", str(config_file), "--group", "market.regime", *SMALL, "--format", "csv")
    header, *rows = as_csv.stdout.strip().splitlines()
    assert header.split(",")[: len(sensitivity_schema())] == sensitivity_schema().names
    assert len(rows) == 6  # the eight settings of market.regime less the two at 0 (shortage drift, glut_to_shortage)
    document = json.loads(
        run_cli("sensitivity", str(config_file), "--group", "market.regime", *SMALL, "--format", "json").stdout
    )
    assert document["metric"] == "pd" and len(document["parameters"]) == 6
    effects = [effect(row, "pd") for row in document["parameters"]]
    assert effects == sorted(effects, reverse=True)  # by the larger |change| of PD
    skipped = {(entry["parameter"], entry["direction"]) for entry in document["skipped"]}
    assert ("market.regime.shortage_to_glut", "high") in skipped
    by_el = json.loads(
        run_cli(
            "sensitivity",
            str(config_file),
            "--group",
            "market.regime",
            *SMALL,
            "--format",
            "json",
            "--metric",
            "expected_loss",
        ).stdout
    )
    el = [effect(row, "expected_loss") for row in by_el["parameters"]]
    assert el == sorted(el, reverse=True)


def test_output_directory(config_file, tmp_path):
    """-o DIR holds sensitivity.arrow with exactly the tornado's schema, described, and run.json's provenance."""
    out = tmp_path / "sens"
    arguments = ("sensitivity", str(config_file), "--param", "market.regime.glut.drift", "--param", "covenants.ltv_max")
    done = run_cli(*arguments, *SMALL, "--bump", "0.2", "-o", str(out))
    assert done.exit_code == 0, done.output
    assert sorted(path.name for path in tmp_path.iterdir()) == ["sens"]  # no temporary left beside it
    assert sorted(path.name for path in out.iterdir()) == ["manifest.json", "run.json", "sensitivity.arrow"]
    table = pa.ipc.open_file(out / "sensitivity.arrow").read_all()
    expected = [("parameter", pa.string()), ("group", pa.string())]
    expected += [(name, pa.float64()) for name in ("base_value", "low_value", "high_value")]
    for metric in ("pd", "expected_loss", "cvar_99"):
        expected += [(f"{metric}_{part}", pa.float64()) for part in ("base", "low", "high", "low_se", "high_se")]
    assert [(field.name, field.type) for field in table.schema] == expected
    assert all(field.metadata[b"unit"] and field.metadata[b"description"] for field in table.schema)
    assert table.schema.field("pd_low_se").metadata[b"unit"] == b"share"
    assert table.schema.field("expected_loss_high").metadata[b"unit"] == b"USD"
    rows = table.to_pylist()
    assert [row["parameter"] for row in rows] == ["covenants.ltv_max", "market.regime.glut.drift"]  # by |PD|
    assert rows[0]["group"] == "covenants" and rows[1]["group"] == "market.regime"
    assert abs(rows[1]["low_value"] - -0.12) < 1e-12 and abs(rows[1]["high_value"] - -0.08) < 1e-12
    assert rows[0]["pd_low"] > rows[0]["pd_base"] > rows[0]["pd_high"]  # a tighter LTV limit defaults more
    record = json.loads((out / "run.json").read_text())
    assert record["kind"] == "sensitivity" and record["bump"] == 0.2
    assert record["simulation"]["paths"] == 2000 and record["simulation"]["seed"] == 3
    assert record["command"].startswith("gpu-stress") and record["gpu_stress_version"]
    assert record["config"] == str(config_file) and record["parameters"] == [row["parameter"] for row in rows][::-1]
    again = run_cli(*arguments, *SMALL, "-o", str(out))
    assert again.exit_code == 2 and "already exists" in again.output
    assert run_cli(*arguments, *SMALL, "-o", str(out), "--overwrite").exit_code == 0
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    refused = run_cli(*arguments, *SMALL, "-o", str(foreign), "--overwrite")
    assert refused.exit_code == 2 and "not a gpu-stress results directory" in refused.output
    assert (foreign / "notes.txt").read_text() == "mine"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ("--param", "firm.csh"),
            "--param: firm.csh: not a numeric setting of this configuration (did you mean 'firm.cash'?)",
        ),
        (("--param", "firm.name"), "--param: firm.name is not a number the model reads (str 'neo-cloud')"),
        (("--param", "simulation.paths"), "--param: simulation.paths is a run-level setting"),
        (("--param", "debt.1.principal"), "(did you mean 'debt.0.principal'?)"),
        (("--group", "markt.price"), "--group: no numeric setting in 'markt.price' (did you mean 'market.price'?)"),
        (("--bump", "0"), "--bump: 0.0 is not a share in (0, 1]"),
        (("--set", "firm.csh=1"), "firm.csh: unknown key (did you mean 'firm.cash'?)"),
        (("--metric", "var"), "'--metric'"),
    ],
)
def test_bad_input(config_file, tmp_path, arguments, message):
    out = tmp_path / "never"
    failed = run_cli("sensitivity", str(config_file), *arguments, *SMALL, "-o", str(out))
    assert failed.exit_code == 2, failed.output
    line = failed.output.strip().splitlines()[-1]
    assert message in line, line
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_no_effect_and_failed_validation(config_file):
    """A key that moves no path is reported as having no effect: market.price.drift (each regime sets its own
    drift) without a run, since the kernels' parameters do not change; market.rates.mean (rates are off: only
    equity discounting reads it) after one. A bump that fails validation is skipped in that direction, saying why."""
    correlated = ("--set", "market.correlation.price_utilization=0.7", "--set", "market.correlation.price_rates=0.7")
    keys = ("market.price.drift", "market.rates.mean", "market.correlation.price_utilization")
    arguments = [part for key in keys for part in ("--param", key)]
    document = json.loads(
        run_cli("sensitivity", str(config_file), *correlated, *arguments, *SMALL, "--format", "json").stdout
    )
    rows = {row["parameter"]: row for row in document["parameters"]}
    for key in keys[:2]:
        row = rows[key]
        assert row["note"].startswith("no effect"), row
        for metric in ("pd", "expected_loss", "cvar_99"):
            change = row[metric]
            assert change["low"] == change["base"] == change["high"] and change["low_se"] == change["high_se"] == 0
    correlation = rows["market.correlation.price_utilization"]
    assert correlation["high_value"] is None and correlation["pd"]["high"] is None and correlation["low_value"] == 0.63
    (skip,) = [entry for entry in document["skipped"] if entry["parameter"] == "market.correlation.price_utilization"]
    assert skip["direction"] == "high" and "positive semi-definite" in skip["reason"]
    assert document["record"]["runs"] == 4  # the base, market.rates.mean's two bumps, the correlation's low bump


def test_a_bump_whose_run_fails_is_skipped(monkeypatch):
    """A run that fails (as one whose outputs leave float32's range would) skips only its direction, saying why."""
    import importlib

    from gpu_stress.chunks import RangeError

    module = importlib.import_module("gpu_stress.analysis.sensitivity")  # the package exports its function

    real = module.run_outcomes

    def failing(table, sweep, *arguments, **options):
        if table["market"]["regime"]["glut"]["volatility"] == 0.33:  # the high bump
            raise RangeError("loss: left the representable range of float32")
        return real(table, sweep, *arguments, **options)

    monkeypatch.setattr(module, "run_outcomes", failing)
    result = sensitivity(black_cox_config(), parameters=["market.regime.glut.volatility"], paths=500, seed=1)
    (row,) = result.rows
    assert row.low_value == 0.27 and row.high_value is None and row.changes["pd"].high is None
    assert row.changes["pd"].slope_se > 0 and "high skipped" in row.note
    (skip,) = result.skipped
    assert skip["direction"] == "high" and "left the representable range" in skip["reason"]
    assert result.runs == 3  # the base and each bump (one run per bumped value)


def test_a_setting_at_zero_is_bumped_only_when_named(config_file):
    """0 is often "off": the default walk leaves such settings out, saying why; --param bumps one by a share of
    its range (here the shortage drift, 0 in this config, by 10 % of its range -1..1: to -0.2 and 0.2)."""
    grouped = json.loads(
        run_cli("sensitivity", str(config_file), "--group", "market.regime", *SMALL, "--format", "json").stdout
    )
    (skip,) = [entry for entry in grouped["skipped"] if entry["parameter"] == "market.regime.shortage.drift"]
    assert skip["direction"] == "both" and skip["reason"].startswith("at 0")
    assert "market.regime.shortage.drift" not in {row["parameter"] for row in grouped["parameters"]}
    named = json.loads(
        run_cli(
            "sensitivity", str(config_file), "--param", "market.regime.shortage.drift", *SMALL, "--format", "json"
        ).stdout
    )
    (row,) = named["parameters"]
    assert (row["low_value"], row["high_value"]) == (-0.2, 0.2)

"""Portfolio mode: firms in one market, systemic fire sales, the lender's book.

The model is in kernels/portfolio.py and docs/model.md ("Portfolios").
"""

import json
import math
import statistics
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.dataset as ds
import pytest
from click.testing import CliRunner

from gpu_stress import engine
from gpu_stress.backends import get_backend
from gpu_stress.backends.launch import Launch
from gpu_stress.cli import main
from gpu_stress.config.load import ConfigError, load_config, load_table, validate
from gpu_stress.kernels import layout as L
from gpu_stress.params import parameter_vector, portfolio_matrix
from gpu_stress.results import store
from gpu_stress.results.aggregates import credit_default
from helpers import with_fire_sales

SEED = 2025
HORIZON = 60


def neoclouds(paths, overrides=()):
    return load_config(preset="neoclouds", overrides=[f"simulation.paths={paths}", *overrides])


def run_portfolio(backend, config, paths, impact=None, dtype=np.float64, horizon=HORIZON):
    fire_sales = config.fire_sales
    impact = fire_sales.impact_per_gpu if impact is None else impact
    return get_backend(backend).simulate_portfolio(
        Launch(
            with_fire_sales(portfolio_matrix(config), impact, fire_sales.retention),
            horizon,
            SEED,
            0,
            0,
            paths,
            dtype=dtype,
        )
    )


@pytest.fixture(scope="module")
def preset_runs():
    """The neoclouds preset on the cpu, with its price impact and with none (common random numbers)."""
    config = neoclouds(3000)
    return config, run_portfolio("cpu", config, 3000), run_portfolio("cpu", config, 3000, impact=0.0)


def test_with_no_price_impact_each_firm_is_its_single_firm_run_path_by_path(preset_runs):
    config, _, (outputs_float, outputs_int, market_outputs) = preset_runs
    cpu = get_backend("cpu")
    for firm, row in enumerate(portfolio_matrix(config)):
        alone_float, alone_int, _ = cpu.simulate(Launch(row, HORIZON, SEED, 0, 0, 3000, 0, dtype=np.float64))
        np.testing.assert_array_equal(outputs_float[firm], alone_float)
        np.testing.assert_array_equal(outputs_int[firm], alone_int)
    np.testing.assert_array_equal(market_outputs[L.OUT_MIN_RESALE_INDEX], 1.0)


def test_the_first_firm_alone_is_its_own_configuration_run():
    """Firm 0 draws firm 0's blocks in its own market: its row is its plain config's parameter vector,
    with the portfolio's secondary market (which the single-firm kernel never reads)."""
    config = neoclouds(100)
    alone = load_config(preset="coreweave", overrides=["price_basis.volatility=0.10", "simulation.horizon_months=60"])
    row, vector = portfolio_matrix(config)[0], parameter_vector(alone)
    market = [L.FIRE_SALE_IMPACT, L.FIRE_SALE_RETENTION]
    np.testing.assert_array_equal(np.delete(row, market), np.delete(vector, market))
    assert list(row[market]) == [config.fire_sales.impact_per_gpu, config.fire_sales.retention]
    assert list(vector[market]) == [0.0, 0.0]


def test_price_impact_never_lowers_a_loss_and_never_a_pd(preset_runs):
    config, (impact_float, impact_int, market), (free_float, free_int, _) = preset_runs
    assert market[L.OUT_GPUS_SOLD].max() > 0 and market[L.OUT_MIN_RESALE_INDEX].min() < 0.9  # the test bites
    for firm in range(len(config.firms)):
        with_impact, without = impact_float[firm, L.OUT_LOSS], free_float[firm, L.OUT_LOSS]
        assert np.all(with_impact >= without - 1e-9 * np.maximum(without, 1.0)), config.firm_names()[firm]
        defaults_with = credit_default(impact_int[firm, L.OUT_DEFAULT_CAUSE]).sum()
        assert defaults_with >= credit_default(free_int[firm, L.OUT_DEFAULT_CAUSE]).sum()
    assert (impact_float[:, L.OUT_LOSS].sum() > free_float[:, L.OUT_LOSS].sum()).all()


def test_a_lower_resale_index_lowers_every_recovery():
    """More impact, deeper discount: losses rise path by path for a stronger impact too."""
    config = neoclouds(1500)
    mild = run_portfolio("cpu", config, 1500, impact=0.5 * config.fire_sales.impact_per_gpu)
    strong = run_portfolio("cpu", config, 1500, impact=2.0 * config.fire_sales.impact_per_gpu)
    assert np.all(strong[0][:, L.OUT_LOSS] >= mild[0][:, L.OUT_LOSS] - 1e-9 * np.maximum(mild[0][:, L.OUT_LOSS], 1))
    assert np.all(strong[2][L.OUT_MIN_RESALE_INDEX] <= mild[2][L.OUT_MIN_RESALE_INDEX] + 1e-12)


# --- the Vasicek limit ------------------------------------------------------------------------------

FIRMS = L.MAX_FIRMS
CORRELATION = 0.3  # asset correlation rho of the one-factor model: corr(price, utilization)^2
GPUS, PRICE, FIXED_COST, DEBT = 1000, 2.0, 1_000_000.0, 1_000_000.0


def one_factor_portfolio(paths):
    """FIRMS identical firms whose only default is a one-factor Gaussian threshold, with a fixed LGD.

    One month. Each firm rents GPUS GPUs at PRICE, pays FIXED_COST a month and
    nothing else, holds no cash and owes DEBT at 0 %, due in a year, with no
    refinancing, equity, covenants or contracts. So it runs out of cash, and
    defaults, iff 730 GPUS PRICE U < FIXED_COST, i.e. iff its utilization
    shock Z_U is below a threshold z*; its lenders then recover the fire-sale
    value of the GPUs and no cash. U = logistic(m +
    s Z_U) from its initial (and long-run) logit m. Z_U = c e_price + sqrt(1 - c^2) e_f loads on the market's
    price shock e_price (the common factor) with c = sqrt(rho); the price itself
    does not move (volatility 0), so the collateral, hence the recovery
    V (1 - haircut), is the same on every path: a fixed LGD.
    """
    firm = {
        "firm": {"gpus": GPUS, "gpu_cost": 2000.0, "power_kw": 0.0, "opex_per_gpu_month": 0.0, "cash": 0.0},
        "collateral": {"fire_sale_haircut": 0.7},
        "debt": [{"name": "loan", "principal": DEBT, "rate": 0.0, "maturity_month": 12}],
    }
    firm["firm"]["fixed_opex_month"] = FIXED_COST
    table = {
        "simulation": {"paths": paths, "horizon_months": 1, "seed": SEED},
        "market": {
            "price": {"initial": PRICE, "drift": 0.0, "volatility": 0.0},
            "utilization": {"initial": 0.85, "mean": 0.85, "volatility": 2.0, "mean_reversion": 0.0},
            "correlation": {"price_utilization": math.sqrt(CORRELATION)},
        },
        "firms": [{"name": f"firm {k}", "config": firm} for k in range(FIRMS)],
        "book": [{"firm": f"firm {k}", "amount": DEBT} for k in range(FIRMS)],
    }
    return validate(table)


NORMAL = statistics.NormalDist()


def normal_cdf(x):
    return 0.5 * (1.0 + np.vectorize(math.erf)(np.asarray(x) / math.sqrt(2.0)))


def vasicek_quantile(pd, rho, level):
    """LGD-free Vasicek limit: the ``level`` quantile of the default rate of an infinitely granular portfolio."""
    return float(normal_cdf((NORMAL.inv_cdf(pd) + math.sqrt(rho) * NORMAL.inv_cdf(level)) / math.sqrt(1 - rho)))


def mixture_cdf(pd, rho, firms):
    """P(D <= k), k = 0..firms, of the one-factor Gaussian model with ``firms`` names.

    D given the factor Y is binomial(firms, p(Y)), p(y) = Phi((Phi^-1(pd) - sqrt(rho) y) / sqrt(1 - rho));
    the mixture over Y ~ N(0, 1) is integrated by the trapezoid rule on [-9, 9].
    """
    factor = np.linspace(-9.0, 9.0, 2001)
    weight = np.exp(-0.5 * factor**2) / math.sqrt(2 * math.pi) * (factor[1] - factor[0])
    p = normal_cdf((NORMAL.inv_cdf(pd) - math.sqrt(rho) * factor) / math.sqrt(1 - rho))
    p = np.clip(p, 1e-300, 1 - 1e-16)
    k = np.arange(firms + 1)[:, None]
    lgamma = np.vectorize(math.lgamma)
    log_choose = lgamma(firms + 1.0) - lgamma(k + 1.0) - lgamma(firms - k + 1.0)
    pmf = np.exp(log_choose + k * np.log(p) + (firms - k) * np.log1p(-p))
    return np.clip(np.cumsum(pmf, axis=0) @ weight, 0.0, 1.0)


def test_one_factor_portfolio_converges_to_the_vasicek_loss_quantiles():
    paths = 200_000
    config = one_factor_portfolio(paths)
    params = portfolio_matrix(config)
    outputs_float, outputs_int, _ = run_portfolio("cpu", config, paths, horizon=1)
    defaulted = outputs_int[:, L.OUT_DEFAULT_MONTH] > 0
    # The threshold of the docstring, and the PD it implies.
    needed_utilization = FIXED_COST / (L.HOURS_PER_MONTH * GPUS * PRICE)
    logit = math.log(needed_utilization / (1 - needed_utilization)) - math.log(0.85 / 0.15)
    z_star = logit / params[0, L.UTILIZATION_SHOCK]
    pd = float(normal_cdf(z_star))
    assert abs(defaulted.mean() - pd) < 4 * math.sqrt(pd * (1 - pd) / paths)  # pooled, a loose check
    loss = outputs_float[:, L.OUT_LOSS]
    lgd = loss[defaulted] / DEBT
    np.testing.assert_allclose(lgd, lgd[0], rtol=1e-12)  # a fixed LGD
    assert 0.2 < lgd[0] < 0.9
    count = defaulted.sum(axis=0)

    # The loss is LGD x D / N with D the number of defaults: its distribution is the one-factor model's.
    exact_cdf = mixture_cdf(pd, CORRELATION, FIRMS)
    observed_cdf = np.cumsum(np.bincount(count, minlength=FIRMS + 1)) / paths
    standard_error = np.sqrt(exact_cdf * (1 - exact_cdf) / paths)
    assert np.all(np.abs(observed_cdf - exact_cdf) <= 4 * standard_error + 1e-12)

    # Its quantiles approach Vasicek's large-portfolio limit: within Monte Carlo error (the quantile's
    # order-statistic interval, 4 SE) plus the granularity of FIRMS names (the gap of the exact N-name
    # quantile to the limit), a gap the exact model shows to vanish as N grows.
    fraction = loss.sum(axis=0) / (FIRMS * DEBT)
    for level in (0.9, 0.99, 0.999):
        limit = lgd[0] * vasicek_quantile(pd, CORRELATION, level)
        half_width = 4 * math.sqrt(level * (1 - level) / paths)
        low, high = np.quantile(fraction, [level - half_width, min(level + half_width, 1.0)])
        gaps = []
        for firms in (FIRMS, 256, 4096):
            exact_quantile = lgd[0] * np.searchsorted(mixture_cdf(pd, CORRELATION, firms), level - 1e-12) / firms
            gaps.append(abs(exact_quantile - limit))
        assert gaps[2] < gaps[0] and gaps[2] < 0.02 * max(limit, 1e-3) + lgd[0] / 4096
        assert low - gaps[0] - 1e-12 <= limit <= high + gaps[0] + 1e-12, (level, low, high, limit, gaps[0])


# --- the lender's book through the engine -------------------------------------------------------------


@pytest.fixture(scope="module")
def book_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("book") / "run"
    table = load_table(preset="neoclouds", overrides=["simulation.paths=6000", "simulation.chunk_paths=2500"])
    job = engine.start(table, folder, backend="cpu")
    job.execute()
    return job.finish()


def _part_table(directory, folder):
    return ds.dataset(str(Path(directory) / folder), format="arrow").to_table()


def test_euler_contributions_add_up_to_the_cvar_and_match_the_paths(book_run):
    portfolio = store.read_table(book_run / store.SCENARIOS_FILE).to_pylist()[0]
    exposures = store.read_table(book_run / store.EXPOSURES_FILE).to_pylist()
    paths = _part_table(book_run, store.PORTFOLIO_DIR).sort_by("path_id")
    loss = paths["loss"].to_numpy()
    by_exposure = np.stack([paths[f"exposure_{k}_loss"].to_numpy() for k in range(len(exposures))])
    np.testing.assert_allclose(by_exposure.sum(axis=0), loss, rtol=1e-12)
    order = np.argsort(loss, kind="stable")
    for name, level in (("95", 0.95), ("99", 0.99), ("999", 0.999)):
        cvar, se = portfolio[f"loss_cvar_{name}"], portfolio[f"loss_cvar_{name}_se"]
        contributions = [row[f"cvar_contribution_{name}"] for row in exposures]
        assert abs(sum(contributions) - cvar) <= se  # they add up to CVaR (to rounding, well inside its SE)
        assert se > 0
        worst = order[-math.ceil((1 - level) * len(loss) - 1e-9) :]  # the worst ceil((1 - q) n), as published
        direct = by_exposure[:, worst].mean(axis=1)  # E[L_e | the worst (1 - q) paths], from the per-path table
        np.testing.assert_allclose(contributions, direct, rtol=2 * 2.0**-9, atol=se)
        assert abs(loss[worst].mean() - cvar) <= 2.0**-9 * cvar + 1e-6


def test_book_tables_agree_with_the_per_path_tables(book_run):
    portfolio = store.read_table(book_run / store.SCENARIOS_FILE).to_pylist()[0]
    firms = store.read_table(book_run / store.FIRMS_FILE).to_pylist()
    by_path = _part_table(book_run, store.PATHS_DIR)
    book_paths = _part_table(book_run, store.PORTFOLIO_DIR)
    count = len(firms)
    defaulted = np.zeros((count, 6000), bool)
    for firm in range(count):
        rows = by_path.filter(ds.field("firm") == firm).sort_by("path_id")
        assert rows.num_rows == 6000
        cause = rows["default_cause"].to_pylist()
        defaulted[firm] = [c not in (None, "insolvent_no_debt") for c in cause]
        assert firms[firm]["defaults"] == defaulted[firm].sum()
        np.testing.assert_allclose(firms[firm]["expected_loss"], rows["loss"].to_numpy().mean(), rtol=1e-12)
    np.testing.assert_array_equal(book_paths.sort_by("path_id")["defaults"].to_numpy(), defaulted.sum(axis=0))
    distribution = np.bincount(defaulted.sum(axis=0), minlength=count + 1) / 6000
    np.testing.assert_allclose(portfolio["default_count_distribution"], distribution, rtol=1e-12)
    correlations = np.array([row["default_correlation"] for row in firms], dtype=float)
    with np.errstate(invalid="ignore"):
        expected = np.corrcoef(defaulted.astype(float))
    np.testing.assert_allclose(correlations, expected, rtol=1e-9, atol=1e-12)
    assert portfolio["expected_loss"] == pytest.approx(book_paths["loss"].to_numpy().mean(), rel=1e-12)
    tranches = store.read_table(book_run / store.TRANCHES_FILE)
    assert set(tranches["firm_name"].to_pylist()) == {row["name"] for row in firms}
    assert tranches.schema.field("firm").type == pa.int8() and tranches.schema.field("scenario_id").type == pa.int32()
    for name in (store.FIRMS_FILE, store.EXPOSURES_FILE):
        table = store.read_table(book_run / name)
        assert table.schema.field("scenario_id").type == pa.int32() and table.schema.field("firm").type == pa.int8()
        assert store.PROVENANCE_KEY in table.schema.metadata
    exposures = store.read_table(book_run / store.EXPOSURES_FILE)
    assert exposures.schema.field("tranche").type == pa.int8()
    assert json.loads(firms[0]["config"])["firm"]["name"] == "CoreWeave"


def test_summarize_verify_and_trace_of_a_portfolio_run(book_run):
    runner = CliRunner()
    result = runner.invoke(main, ["summarize", str(book_run)])
    assert result.exit_code == 0 and "CoreWeave" in result.output and "lender's book" in result.output
    result = runner.invoke(main, ["summarize", str(book_run), "--portfolio"])
    assert result.exit_code == 0 and "Euler" in result.output and "default correlations" in result.output
    result = runner.invoke(main, ["summarize", str(book_run), "--portfolio", "--json"])
    assert result.exit_code == 0 and '"exposures"' in result.output
    assert runner.invoke(main, ["verify", str(book_run)]).exit_code == 0
    result = runner.invoke(main, ["trace", str(book_run), "--path", "3"])
    assert result.exit_code == 2 and "portfolio run" in result.output
    picture = book_run.parent / "book.png"
    result = runner.invoke(main, ["plot", str(book_run), "-o", str(picture)])
    assert result.exit_code == 0 and picture.stat().st_size > 10_000


def test_summarize_flags_a_book_has_no_use_for_are_one_line(book_run):
    for flags in (["--by-year"], ["--sort", "pd"], ["--portfolio", "--by-tranche"]):
        result = CliRunner().invoke(main, ["summarize", str(book_run), *flags])
        assert result.exit_code == 2 and "not for a portfolio" in result.output, flags
    result = CliRunner().invoke(main, ["summarize", str(book_run), "--by-tranche"])
    assert result.exit_code == 0 and "Nscale" in result.output  # a firm column tells the tranches apart


@pytest.mark.parametrize("claims", [False, True])
def test_a_firm_owing_nothing_sells_no_gpus_and_one_owing_rent_sells_them(claims):
    """An insolvency with no debt (Lambda's after repaying, its leases costs only) puts no GPU on the secondary
    market; with its leases as claims the same paths are lease defaults, and its estate sells its GPUs."""
    table = {"simulation": {"paths": 2000}, "fire_sales": {"impact": 0.4}}
    lambda_entry = {"preset": "lambda", "config": {"claims": {"fixed_charges": claims}}}
    config = validate(table | {"firms": [lambda_entry, {"preset": "nebius"}]})
    _, outputs_int, market = run_portfolio("cpu", config, 2000)
    lambda_firm = config.firm_names().index("Lambda")
    cause = outputs_int[lambda_firm, L.OUT_DEFAULT_CAUSE]
    owing_no_lender = cause == (L.LEASE if claims else L.INSOLVENT_NO_DEBT)
    if claims:  # a lease default owing no lender (no tranche of Lambda's defaulted), while it still has GPUs:
        # its installed fleet (15 months old, 72 months' life) retires after month 57
        tranche_months = outputs_int[lambda_firm, L.OUT_TRANCHE_DEFAULT_MONTH : L.OUT_TRANCHE_DEFAULT_MONTH + 4]
        owing_no_lender &= (tranche_months < 0).all(axis=0)
        owing_no_lender &= outputs_int[lambda_firm, L.OUT_DEFAULT_MONTH] <= 57
    others = np.delete(np.arange(len(config.firms)), lambda_firm)
    nobody_else = ~credit_default(outputs_int[others, L.OUT_DEFAULT_CAUSE]).any(axis=0)
    alone = owing_no_lender & nobody_else
    assert alone.sum() > 10
    if claims:
        assert (market[L.OUT_GPUS_SOLD][alone] > 0).all()
    else:
        np.testing.assert_array_equal(market[L.OUT_GPUS_SOLD][alone], 0.0)


def test_summarize_portfolio_of_a_single_firm_run_is_refused(tmp_path):
    table = load_table(preset="lambda", overrides=["simulation.paths=200"])
    folder = engine.start(table, tmp_path / "single", backend="cpu")
    folder.execute()
    result = CliRunner().invoke(main, ["summarize", str(folder.finish()), "--portfolio"])
    assert result.exit_code != 0 and "not a portfolio run" in result.output


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ("book.0.firm=Oracle", "book[0].firm"),
        ("book.0.tranche=a bond", "book[0].tranche"),
        ("book.0.amount=1e12", "book[0].amount"),
        ("firms.1.name=CoreWeave", "firms[1].name"),
        ("firms.1.preset=nope", "firms[1].preset"),
        ("firms.1.config.simulation.paths=5", "firms[1].config.simulation"),
        ("firms.2.config.covenants.ltv_max=-1", "firms[2].config.covenants.ltv_max"),
        ("fire_sales.impact=-1", "fire_sales.impact"),
        ("firms.0.preset=neoclouds", "firms[0].preset"),
        ("market.price.drift=5", "market.price.drift"),
        ("firms.2.config.market.price.drift=0.1", "firms[2].config.market.price.drift"),
        ("firms.1.config.market.rates.mean=0.05", "firms[1].config.market.rates.mean"),
    ],
)
def test_bad_portfolio_input_names_the_field(override, field):
    with pytest.raises(ConfigError) as error:
        validate(load_table(preset="neoclouds", overrides=[override]))
    assert str(error.value).startswith(field), str(error.value)
    assert "\n" not in str(error.value)


def test_no_tranche_is_held_more_than_whole():
    table = load_table(preset="neoclouds")
    held = dict(table["book"][0], amount=3.9e9)  # with the 400M already held, more than the $4.04B tranche
    table["book"].append(held)
    with pytest.raises(ConfigError, match=r"^book\[7\]\.amount: the book holds 1.065 of CoreWeave's"):
        validate(table)
    table["book"][-1] = {"firm": "CoreWeave", "amount": 30e9}  # pro rata: 30/38.4 of each tranche, on top of both
    with pytest.raises(ConfigError, match=r"^book\[7\]\.amount: the book holds"):
        validate(table)


def test_a_firm_keeps_its_own_utilization_in_the_shared_market():
    config = validate(load_table(preset="neoclouds", overrides=["firms.1.config.market.utilization.mean=0.6"]))
    assert config.firm_configs[1].market.utilization.mean == 0.6 != config.firm_configs[0].market.utilization.mean


def test_at_most_max_firms():
    table = one_factor_portfolio(10).model_dump()
    table["firms"] = table["firms"] * 2
    with pytest.raises(ConfigError, match="firms"):
        validate(table)


def portfolio_numeric_fields():
    from gpu_stress.config.portfolio import Exposure, FireSales
    from gpu_stress.config.schema import numeric_range

    for prefix, model, key in (("fire_sales.", FireSales, "fire_sales."), ("book[].", Exposure, "book.0.")):
        for name, field in model.model_fields.items():
            found = numeric_range(field)
            if found:
                yield prefix + name, key + name, found


@pytest.mark.parametrize(("documented", "key", "numeric"), list(portfolio_numeric_fields()))
def test_portfolio_settings_refuse_values_outside_their_documented_range(documented, key, numeric):
    from gpu_stress.config.load import format_number

    _, low, high = numeric
    text = (Path(__file__).resolve().parent.parent / "docs" / "model.md").read_text()
    assert f"| `{documented}` |" in text and f"{format_number(low)} to {format_number(high)}" in text
    for value in (low - 1, high * 2 + 1):
        with pytest.raises(ConfigError) as error:
            validate(load_table(preset="neoclouds", overrides=[f"{key}={value}"]))
        shown = key.replace(".0.", "[0].")
        assert str(error.value).startswith(f"{shown}: must be"), str(error.value)

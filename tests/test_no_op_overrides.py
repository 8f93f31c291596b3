"""A setting that changes nothing is never silent, and one that changes something is never called a no-op.

``gpu_stress.config.effects`` decides from the parameters alone (the canonical
parameters: every slot the kernels cannot read set to one value). The ground
truth here is the simulation: for every setting of every preset (every entry of
its lists; for the portfolio preset its market, secondary market, book and some
of one firm entry's settings) and of six more firms that switch blocks of the
model off, each probe of ``effects.judge`` is simulated on the cpu backend with
the same seed (common random numbers) and compared bit for bit with the firm's
own outputs (per path, bands, the base case), on ordinary paths and on paths
picked so that rare effects show: paths of a prescan that default or sit at an
extreme of an output, and paths on which a planned delivery slips longer than
its contracts tolerate (found in the Philox stream). A setting is "no effect"
exactly when no probe changes any output; the only exceptions, effects no
sample of a preset shows, are listed in RARE with why.

Then the cascade (a later layer's base drift, volatility or utilization replaces
the regimes'), and the warnings as ``run`` prints them.
"""

import copy
import itertools
import time

import numba
import numpy as np
import pytest

from gpu_stress.backends import get_backend
from gpu_stress.backends.launch import Launch
from gpu_stress.backends.oracle import rng
from gpu_stress.blocks.facilities import initial_debt
from gpu_stress.config import effects, run_warnings
from gpu_stress.config.load import (
    REGIME_SHADOWS,
    apply_layer,
    load_table,
    pin_horizon,
    preset_names,
    preset_text,
    read_preset,
    table_leaf_keys,
    validate,
)
from gpu_stress.config.portfolio import PortfolioConfig
from gpu_stress.kernels import layout as L
from helpers import CAPITAL_STRUCTURE, MARKET_ONLY

pytestmark = pytest.mark.slow  # simulates every setting's no-op verdict

SEED = 2025
PATHS = 128  # ordinary paths, each run
PRESCAN = 16_384  # paths of the preset searched for defaults
DEFAULTS = 16  # defaulting paths kept
EXTREMES = 4  # paths kept at each end of each per-path output
PORTFOLIO_PATHS = 64
PORTFOLIO_FIRM = 4  # the portfolio walk's firm entry: crusoe, the firm that defaults most

CPU = get_backend("cpu")


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Many small runs: one numba thread each is faster than two that wait for each other."""
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    yield
    numba.set_num_threads(threads)


# --- the ground truth ---------------------------------------------------------------------------------


def firm_outputs(params, horizon, path_ids):
    """Every output of one firm's run on ``path_ids`` (a range, then single paths): per path, the tracked
    bands of each path, the base case's path."""
    first, singles = path_ids
    parts = list(CPU.simulate(Launch(params, horizon, SEED, 0, 0, first, first, dtype=np.float64)))
    for path in singles:
        parts += CPU.simulate(Launch(params, horizon, SEED, 0, int(path), 1, 1, dtype=np.float64))
    plan = params.copy()
    plan[L.BASE_CASE] = 1.0
    parts += CPU.simulate(Launch(plan, horizon, SEED, 0, 0, 1, 0, dtype=np.float64))
    return parts


def outputs(resolved, path_ids):
    """Every output the simulation gives for a resolved configuration (raw parameters, not canonical ones)."""
    config = resolved.config
    horizon = config.simulation.horizon_months
    if isinstance(config, PortfolioConfig):
        parts = CPU.simulate_portfolio(Launch(resolved.raw, horizon, SEED, 0, 0, path_ids[0], dtype=np.float64))
        shares = [value for exposure in config.exposure_shares() for value in exposure]
        return [*parts, np.array(shares, dtype=float)]
    return [*firm_outputs(resolved.raw, horizon, path_ids), np.array([initial_debt(config)])]


def same(first, second):
    return len(first) == len(second) and all(
        np.asarray(a).shape == np.asarray(b).shape and np.asarray(a).tobytes() == np.asarray(b).tobytes()
        for a, b in zip(first, second, strict=True)
    )


def extreme_paths(resolved):
    """Paths of a prescan of the preset where thresholds are crossed: some that default, and the highest and
    lowest of each per-path output (price, cash, LTV, DSCR, utilization, equity ...)."""
    config = resolved.config
    outputs_float, outputs_int, _ = CPU.simulate(
        Launch(resolved.raw, config.simulation.horizon_months, SEED, 0, 0, PRESCAN, 0, dtype=np.float64)
    )
    found = set()
    defaulted = np.flatnonzero(outputs_int[L.OUT_DEFAULT_MONTH] > 0)
    found |= set(defaulted[:: max(1, len(defaulted) // DEFAULTS)][:DEFAULTS].tolist())
    for row in range(L.OUT_TRANCHE_EAD):  # the per-path table's float columns
        order = np.argsort(outputs_float[row], kind="stable")
        found |= set(order[:EXTREMES].tolist()) | set(order[-EXTREMES:].tolist())
    return sorted(path for path in found if path >= PATHS)


def long_slip_paths(resolved, wanted=3, batches=6, batch=1 << 20):
    """Paths on which a planned cohort slips more months than a contract on it tolerates, in a shortage.

    Searched in the Philox stream of the firm's slip block (``kernels.rng``): the cohort's slip draw is
    below the shortage slip probability in each month from its delivery on.
    """
    v = resolved.raw
    found = []
    for c in range(int(v[L.COHORT_COUNT])):
        if v[L.COHORT_SLIPS + c] <= 0:
            continue
        planned = -v[L.COHORT_AGE_INITIAL + c]
        first = int(v[L.COHORT_FIXED_DELAY + c] + planned)
        limits = [  # of the contracts on it with a remedy for a late delivery
            v[L.CUSTOMER_DELAY_LIMIT + i]
            for i in range(int(v[L.CUSTOMER_COUNT]))
            if int(v[L.CUSTOMER_COHORT + i]) == c and v[L.CUSTOMER_TERMINATES + i] + v[L.CUSTOMER_DELAY_PENALTY + i] > 0
        ]
        slips = int(planned + max(limits) + 1 - first) if limits else 0  # to be late past the longest limit
        probability = v[L.SLIP_PROBABILITY]
        if not 0 < slips <= v[L.DELAY_MAX] or probability <= 0:
            continue
        block = L.BLOCKS_PER_ENTITY * (1 + int(v[L.FIRM_STREAM])) + L.FIRM_SLIP_BLOCK
        hits = []
        for start in range(0, batches * batch, batch):
            ids = np.arange(start, start + batch, dtype=np.uint64)
            for month in range(first, first + slips):
                words = rng.draw_block(SEED, 0, ids, month, block)
                ids = ids[rng.to_uniform(words[c], np.float64) < probability]
            hits += [int(path) for path in ids if path >= PATHS]
            if len(hits) >= wanted:
                break
        found += hits[:wanted]
    return sorted(set(found))


# --- the walk -----------------------------------------------------------------------------------------


# A portfolio's firm entry: the settings walked (every firm's own are walked in its preset).
ENTRY_SECTIONS = ("firm.", "price_basis.", "covenants.", "market.utilization.")


def walked_keys(table):
    keys = run_warnings.setting_keys(table)
    if "firms" in table:  # the portfolio's own keys and some of one firm entry's
        entry = f"firms.{PORTFOLIO_FIRM}.config."
        walked = tuple(entry + section for section in ENTRY_SECTIONS)
        keys = [key for key in keys if not key.startswith("firms.") or key.startswith(walked)]
    return keys


def paths_of(resolved):
    """The paths a walk compares: ordinary ones, and those on which rare effects show."""
    if isinstance(resolved.config, PortfolioConfig):
        return PORTFOLIO_PATHS, []
    if resolved.config.simulation.base_case:
        return 1, []  # every path is the plan
    return PATHS, sorted(set(extreme_paths(resolved)) | set(long_slip_paths(resolved)))


# Settings whose effect is real but too rare for any sample of the preset's paths: a tranche's rank matters
# only when two tranches are short in one round of the waterfall with something left to share (none in
# 200,000 Crusoe paths, 4 in 200,000 Lambda paths), an emergency raise only when cash runs short while the book
# equity is positive (Nebius and Nscale hardly ever run short). Coreweave's walk, which allows none, shows
# both effects; here the detector must still call them settings that matter.
# The closing hazard's leverage term bites only where last month's LTV is above funding.ltv_threshold (1.0) within
# a closing window (months 1-9), which no sampled path of a preset shows. Nebius's only balloon within the horizon,
# the 2029 notes, converts on every sampled path (its share price is above $61.74 in month 48): refinancing
# matters only where it is not. Its 2030-2032 converts, within its horizon to their maturity (87 months), are
# out of the money at maturity on every sampled path: a higher conversion price changes nothing there.
# A hyperscaler's market impact matters only on a path where it defaults (0.05 % a year): Microsoft, Meta and
# Nvidia (obligors 0, 2, 3 of CoreWeave, the first of Nebius and Nscale) default on no sampled path.
# A contract's going-concern value (recovery.contract_value, and with it an end_month past the horizon) matters only
# where a pool holding a surviving contract defaults with its tranches short: Nebius's and Nscale's contract loans
# default on no sampled path (their PD is funding and leases), Crusoe's facility is covered by its GPUs there. The
# EV rule matters only where the firm's contracted forward EBITDA is positive at its default: on no sampled path of
# Nebius or Nscale (their defaults come when the contracts have lapsed or never started).
LEVERAGE = "funding.leverage_sensitivity"
HYPERSCALER = ("obligors.0.", "obligors.2.", "obligors.3.")
GOING_CONCERN = ("recovery.contract_value", "recovery.going_concern_multiple")
RARE = {
    "coreweave": (LEVERAGE, *HYPERSCALER),
    "crusoe": (".rank", "recovery.contract_value"),
    "lambda": (".rank", LEVERAGE, "obligors."),
    "nebius": ("equity.", "refinancing.", ".conversion_price", LEVERAGE, "obligors.0.", *GOING_CONCERN),
    "nscale": ("equity.", LEVERAGE, "obligors.", *GOING_CONCERN, "customers.1.end_month"),
}


def walk(table, rare=(), both_ways=True):
    """(mismatches, no-op verdicts) of every key of ``table``: a mismatch is a verdict the simulation refutes.

    Every no-op verdict must leave every output unchanged; with ``both_ways``, every other verdict must
    change one, for some probe (keys matching ``rare`` excepted).
    """
    table = pin_horizon(table)  # judged at the months "to-last-maturity" resolves to
    base = effects.resolve(validate(table))
    path_ids = paths_of(base)
    base_outputs = outputs(base, path_ids)
    mismatches, no_ops = [], []
    for key in walked_keys(table):
        reason, decided = effects.judge(table, key, base)
        if not decided:
            continue  # no verdict: text, names, lists, run settings, or no valid probe
        if not isinstance(base.config, PortfolioConfig):  # a probe set without validating it again is what
            probe = decided[0]  # validating its table gives
            assert np.array_equal(effects.resolve(validate(probe.table)).raw, probe.resolved.raw), key
        if (effects.judge(table, key, base, quick=True)[0] is None) != (reason is None):
            mismatches.append(f"{key}: the quick check disagrees with the probes")
        if reason is not None:
            no_ops.append(f"{key} has no effect: {reason}")
            changed = [probe.value for probe in decided if not same(outputs(probe.resolved, path_ids), base_outputs)]
            if changed:
                mismatches.append(f"{key}: called a no-op ({reason}), but {changed} changes the paths")
            # --set of it warns, but for a base value over the regimes': a later layer, it replaces theirs
            warned = run_warnings.override_warnings(table, [(key, decided[0].value)])
            if len(warned) != (0 if key in REGIME_SHADOWS else 1):
                mismatches.append(f"{key}: --set {decided[0].value!r} warns {warned}")
        elif both_ways and not any(pattern in key for pattern in rare):
            probes = [decided[-1], *effects.probes(table, key, base)]  # the one that changed the parameters first
            if all(same(outputs(probe.resolved, path_ids), base_outputs) for probe in probes):
                values = [probe.value for probe in probes]
                mismatches.append(f"{key}: changes the parameters, but no probe ({values}) changes any output")
    return mismatches, no_ops


@pytest.mark.parametrize("preset", preset_names())
def test_the_no_op_verdict_of_every_setting_is_the_simulations(preset):
    mismatches, no_ops = walk(read_preset(preset), RARE.get(preset, ()))
    assert mismatches == [], "\n".join(mismatches)
    assert no_ops, "every preset has settings that do nothing (covenant terms with covenants off)"


def variant(base, settings=(), pools=(), debt=()):
    """``base`` (a table) with ``settings`` as a later layer and more [[pools]] and [[debt]]."""
    table = apply_layer(copy.deepcopy(base), settings)
    table["pools"] = [*table.get("pools", []), *pools]
    table["debt"] = [*table.get("debt", []), *debt]
    return table


# Firms beyond the presets, so that every rule decides something: the full model with a capital structure
# (tests/helpers.py), a market with no debt and no costs, and variants of the first that switch blocks off.
QUIET = [("market.regime.enabled", False), ("market.rates.enabled", False), ("market.price.jump_size", 0.0)]
OFF = [("backstop.start_month", 40), ("backstop.end_month", 3), ("delivery_delays.max_months", 0)]
OFF += [("covenants.ltv_max", 0.0), ("covenants.dscr_min", 0.0), ("vendor.annual_default_probability", 0.0)]
SPARE = {"pools": [{"name": "spare", "cohorts": ["older"], "share": 0.5, "reserve_months": 1.0}]}
SPARE["debt"] = [{"name": "empty", "maturity_month": 12, "rank": 3}]
ALWAYS_IN_GLUT = [("market.regime.initial", "glut"), ("market.regime.glut_to_shortage", 0.0)]
FIRMS = {  # name: (table, rare effects, both ways)
    # Raises sized on market value rather than book differ only where book equity refuses one that market value
    # allows, which no sample of this firm shows; tests/test_equity_market.py computes such a case by hand.
    "capital structure": (CAPITAL_STRUCTURE, ("equity.basis",), True),
    "market only": (MARKET_ONLY, ("equity.",), True),  # it never runs short of cash
    "quiet market": (variant(CAPITAL_STRUCTURE, [*QUIET, ("market.utilization.volatility", 0.0)]), (), False),
    "always in glut": (variant(CAPITAL_STRUCTURE, ALWAYS_IN_GLUT), (), False),
    "switched off": (variant(CAPITAL_STRUCTURE, OFF), (), False),
    "spare entries, short horizon": (
        variant(CAPITAL_STRUCTURE, [("simulation.horizon_months", 24), ("obligations.0.start_month", 30)], **SPARE),
        (),
        False,
    ),
}


@pytest.mark.parametrize("firm", FIRMS)
def test_the_no_op_verdict_of_every_setting_of_more_firms_is_the_simulations(firm):
    """The full model and the market alone both ways; the variants that switch blocks off: their no-ops."""
    table, rare, both_ways = FIRMS[firm]
    mismatches, no_ops = walk(copy.deepcopy(table), rare, both_ways)
    assert mismatches == [], "\n".join(mismatches)
    assert no_ops


@pytest.mark.parametrize("case", ["base_case", "central_case"])
def test_every_no_op_verdict_of_the_base_case_is_the_simulations(case):
    """A deterministic path (the no-shock case, the central case) draws nothing: hazards, switches, slips,
    renewals and shocks are unread. On its one path a setting can matter and change nothing (a default's
    settings, when the path does not default): only the no-op verdicts are checked."""
    table = apply_layer(read_preset("coreweave"), [(f"simulation.{case}", True)])
    mismatches, no_ops = walk(table, both_ways=False)
    assert mismatches == [], "\n".join(mismatches)
    # (the switching probabilities are read: they set the planned path's expected regime)
    drawn = ["obligors.1.annual_default_probability", "market.rates.volatility"]
    for key in [*drawn, "market.utilization.volatility", "delivery_delays.slip_probability"]:
        assert any(line.startswith(f"{key} has no effect: the run is one deterministic path") for line in no_ops), key


# --- the cascade: a later layer's base value moves every regime ---------------------------------------


def regime_values(config, field):
    """(shortage, glut) of a regime field as the model resolves it: annual drift or volatility, utilization."""
    v = effects.resolve(config).raw
    if field == "utilization":
        logits = v[L.UTILIZATION_LOGIT_MEAN : L.UTILIZATION_LOGIT_MEAN + 2]
        return tuple(round(float(1 / (1 + np.exp(-logit))), 12) for logit in logits)
    volatility = v[L.LOG_VOLATILITY : L.LOG_VOLATILITY + 2] * np.sqrt(L.MONTHS_PER_YEAR)
    if field == "volatility":
        return tuple(round(float(sigma), 12) for sigma in volatility)
    drift = v[L.LOG_DRIFT : L.LOG_DRIFT + 2] * L.MONTHS_PER_YEAR + 0.5 * volatility**2
    return tuple(round(float(mu), 12) for mu in drift)


def default_rate(config, paths=2000):
    _, outputs_int, _ = CPU.simulate(Launch(effects.resolve(config).raw, 60, SEED, 0, 0, paths, 0, dtype=np.float64))
    return float((outputs_int[L.OUT_DEFAULT_MONTH] > 0).mean())


def test_the_readme_example_sets_every_regimes_drift_and_moves_the_pd(tmp_path):
    """``gpu-stress run my-firm.toml --set firm.cash=2e9 --set market.price.drift=-0.3``, my-firm.toml being
    ``gpu-stress presets show nebius``: the base drift replaces both regimes' (they are an earlier layer)."""
    my_firm = tmp_path / "my-firm.toml"
    my_firm.write_text(preset_text("nebius"))
    before = validate(load_table(path=my_firm, overrides=["firm.cash=2e9"]))
    after = validate(load_table(path=my_firm, overrides=["firm.cash=2e9", "market.price.drift=-0.3"]))
    assert regime_values(before, "drift") == (-0.05, -0.3)
    assert regime_values(after, "drift") == (-0.3, -0.3)
    assert default_rate(after) > default_rate(before)
    assert run_warnings.override_warnings(read_preset("nebius"), ["firm.cash=2e9", "market.price.drift=-0.3"]) == []
    coreweave = validate(load_table(preset="coreweave", overrides=["market.price.drift=-0.3"]))
    assert regime_values(coreweave, "drift") == (-0.3, -0.3)
    assert default_rate(coreweave) > default_rate(validate(read_preset("coreweave")))


@pytest.mark.parametrize(
    ("base", "field", "value"),
    [
        ("market.price.drift", "drift", -0.3),
        ("market.price.volatility", "volatility", 0.5),
        ("market.utilization.mean", "utilization", 0.6),
    ],
)
def test_a_later_base_value_replaces_every_regimes_and_one_layer_keeps_a_regimes_own(base, field, value):
    preset = read_preset("coreweave")
    assert regime_values(validate(preset), field) != (value, value)
    assert regime_values(validate(load_table(preset="coreweave", overrides=[f"{base}={value}"])), field) == (
        value,
        value,
    )
    both = [f"{base}={value}", f"market.regime.glut.{field}=0.4"]  # one layer: the glut's own value wins
    assert regime_values(validate(load_table(preset="coreweave", overrides=both)), field) == (value, 0.4)
    swept = apply_layer(copy.deepcopy(preset), [(base, value)])  # a scenario's swept values: a later layer too
    assert regime_values(validate(swept), field) == (value, value)


def test_a_file_over_a_preset_is_a_later_layer(tmp_path):
    over = tmp_path / "over.toml"
    over.write_text("[market.price]\ndrift = -0.2\n")
    assert regime_values(validate(load_table(path=over, preset="coreweave")), "drift") == (-0.2, -0.2)
    own = tmp_path / "own.toml"  # a file that sets a regime's drift too: its own wins, within the file
    own.write_text("[market.price]\ndrift = -0.2\n[market.regime.shortage]\ndrift = 0.02\n")
    assert regime_values(validate(load_table(path=own, preset="coreweave")), "drift") == (0.02, -0.2)


def test_overrides_reach_a_portfolios_firms_through_the_cascade():
    """The portfolio's [market] is a later layer over every firm's preset; a firm entry's config over its own."""
    portfolio = validate(load_table(preset="neoclouds", overrides=["market.price.drift=-0.3"]))
    assert [regime_values(firm, "drift") for firm in portfolio.firm_configs] == [(-0.3, -0.3)] * 5
    rows = effects.resolve(portfolio).raw
    assert np.all(rows[:, L.LOG_DRIFT] == rows[0, L.LOG_DRIFT])
    one = validate(load_table(preset="neoclouds", overrides=["firms.1.config.market.utilization.mean=0.6"]))
    assert regime_values(one.firm_configs[1], "utilization") == (0.6, 0.6)  # a firm's own utilization
    assert regime_values(one.firm_configs[0], "utilization") == (0.9, 0.72)
    warnings = run_warnings.override_warnings(read_preset("neoclouds"), ["market.price.drift=-0.3"])
    assert warnings == []


# --- the warnings ---------------------------------------------------------------------------------------


def test_a_set_that_changes_nothing_names_the_key_and_what_overrides_it():
    coreweave = read_preset("coreweave")
    assert run_warnings.override_warnings(coreweave, ["covenants.cure_tests=3"]) == [
        "warning: --set covenants.cure_tests=3 has no effect: covenants.ltv_max and covenants.dscr_min are 0 "
        "(no covenant is tested)"
    ]
    no_launches = ["market.price.jump_intensity=0", "market.price.jump_size=0.3"]
    assert run_warnings.override_warnings(coreweave, no_launches) == [
        "warning: --set market.price.jump_size=0.3 has no effect: market.price.jump_intensity is 0 (no launches)"
    ]
    assert effects.key_effect(load_table(preset="coreweave", overrides=no_launches), "market.price.jump_size") == (
        "market.price.jump_size has no effect: market.price.jump_intensity is 0 (no launches)"
    )
    no_regimes = apply_layer(copy.deepcopy(coreweave), [("market.regime.enabled", False)])
    assert run_warnings.override_warnings(no_regimes, ["market.regime.glut.drift=-0.5"]) == [
        "warning: --set market.regime.glut.drift=-0.5 has no effect: market.regime.enabled is false"
    ]
    assert run_warnings.override_warnings(coreweave, ["refinancing.glut_spread=0.2"]) == [
        "warning: --set refinancing.glut_spread=0.2 has no effect: refinancing.open_in_glut is false "
        "(lenders are shut in a glut)"
    ]
    # What changes something, and the run's own settings, get no warning.
    live = ["firm.cash=1e9", "covenants.ltv_max=1.2", "covenants.cure_tests=3", "simulation.paths=1000"]
    assert run_warnings.override_warnings(coreweave, live) == []
    assert (
        run_warnings.override_warnings(coreweave, ["firm.name=Acme", "overlay.name='x'", "overlay.launch.month=6"])
        == []
    )
    assert run_warnings.override_warnings(coreweave, ["overlay.price.start_month=6"]) == [
        "warning: --set overlay.price.start_month=6 has no effect: overlay.price.multiplier is 1 (no price shock)"
    ]


def test_a_set_of_the_value_already_there_says_so_and_a_later_set_replaces_an_earlier_one():
    coreweave = read_preset("coreweave")
    assert run_warnings.override_warnings(coreweave, ["firm.cash=2950000000"]) == [
        "warning: --set firm.cash=2950000000 has no effect: firm.cash already has this value"
    ]
    assert run_warnings.override_warnings(coreweave, [("covenants.ltv_max", 0.0)]) == [
        "warning: --set covenants.ltv_max=0.0 has no effect: covenants.ltv_max already has this value"
    ]
    assert run_warnings.override_warnings(coreweave, ["firm.cash=1e9", "firm.cash=2e9"]) == [
        "warning: --set firm.cash=1e9 has no effect: --set firm.cash=2e9 replaces it"
    ]
    assert run_warnings.override_warnings(coreweave, ["firm.cash=1e9"], [("firm.cash", [1e9, 2e9])]) == [
        "warning: --set firm.cash=1e9 has no effect: --sweep firm.cash sets it in every scenario"
    ]


def scenario_configs(table, sweep):
    """(scenario id, values, config) of a sweep's grid, each scenario's values one layer (as scenarios.expand)."""
    keys = list(sweep)
    grid = [dict(zip(keys, values, strict=True)) for values in itertools.product(*sweep.values())]
    return [(i, values, validate(apply_layer(copy.deepcopy(table), values.items()))) for i, values in enumerate(grid)]


def test_a_sweep_that_changes_nothing_and_identical_scenarios_are_named():
    coreweave = read_preset("coreweave")
    sweep = {"refinancing.glut_spread": [0.1, 0.2]}  # lenders are shut in a glut
    assert run_warnings.override_warnings(coreweave, [], sweep.items()) == [
        "warning: --sweep refinancing.glut_spread=0.1,0.2 has no effect: refinancing.open_in_glut is false "
        "(lenders are shut in a glut)"
    ]
    assert run_warnings.identical_scenarios(scenario_configs(coreweave, sweep)) == [
        "warning: scenarios 0 and 1 have identical parameters (refinancing.glut_spread=0.1 vs "
        "refinancing.glut_spread=0.2)"
    ]
    # Within a scenario's layer the regimes' own drifts win: sweeping the base drift beside them does nothing.
    shadowed = {
        "market.price.drift": [-0.1, -0.3],
        "market.regime.shortage.drift": [0.0, 0.05],
        "market.regime.glut.drift": [-0.2],
    }
    assert run_warnings.override_warnings(coreweave, [], shadowed.items()) == [
        "warning: --sweep market.price.drift=-0.1,-0.3 has no effect: market.regime.shortage.drift and "
        "market.regime.glut.drift set every regime's own drift"
    ]
    configs = scenario_configs(coreweave, shadowed)
    assert run_warnings.identical_scenarios(configs) == [
        "warning: scenarios 0 and 2 have identical parameters (market.price.drift=-0.1 vs market.price.drift=-0.3)",
        "warning: scenarios 1 and 3 have identical parameters (market.price.drift=-0.1 vs market.price.drift=-0.3)",
    ]
    paths = [firm_outputs(effects.resolve(config).raw, 24, (64, [])) for _, _, config in configs]
    assert same(paths[0], paths[2]) and not same(paths[0], paths[1])
    # A key that matters in some scenarios is no sweep warning; only the scenarios that coincide are named.
    partial = {"covenants.ltv_max": [0.0, 1.2], "covenants.cure_tests": [1, 2]}
    assert run_warnings.override_warnings(coreweave, [], partial.items()) == []
    assert run_warnings.identical_scenarios(scenario_configs(coreweave, partial)) == [
        "warning: scenarios 0 and 1 have identical parameters (covenants.cure_tests=1 vs covenants.cure_tests=2)"
    ]


def test_a_config_key_that_does_nothing_is_named_and_an_overridden_one_is_not(tmp_path):
    """A user's file is a copy of a preset: its base drift, volatility and utilization, under both regimes'
    own, and its covenant terms, with covenants off, do nothing. A key a --set replaces is the --set's."""
    file = read_preset("coreweave")
    keys = list(table_leaf_keys(file))
    started = time.perf_counter()
    warnings = run_warnings.override_warnings(file, [], [], keys)
    elapsed = time.perf_counter() - started
    named = [line.split()[3] for line in warnings]
    assert named == [
        "market.price.drift",
        "market.price.volatility",
        "market.utilization.mean",
        "covenants.test_every_months",
        "covenants.cure_tests",
        "refinancing.glut_spread",
    ]
    assert warnings[0] == (
        "warning: config key market.price.drift has no effect: market.regime.shortage.drift and "
        "market.regime.glut.drift set every regime's own drift"
    )
    assert all(effects.key_effect(file, key) is not None for key in named)
    assert elapsed < 5, f"{len(keys)} keys took {elapsed:.1f} s"  # well under a second on an idle core
    # --set market.price.drift replaces the file's regime drifts: the file's base drift is no longer dead,
    # and neither its replaced regime drifts nor the base drift itself are the config's to warn about.
    warnings = run_warnings.override_warnings(file, ["market.price.drift=-0.3"], [], keys)
    assert [line.split()[3] for line in warnings] == named[1:]
    # A covenant switched on by a sweep in some scenario makes its terms matter.
    warnings = run_warnings.override_warnings(file, [], [("covenants.ltv_max", [0.0, 1.2])], keys)
    assert [line.split()[3] for line in warnings] == named[:3] + named[5:]


def test_key_effect_gives_no_verdict_for_names_lists_run_settings_and_stress_names():
    coreweave = read_preset("coreweave")
    for key in ("firm.name", "debt.0.funds", "simulation.paths", "about.description", "overlay.name"):
        assert effects.key_effect(coreweave, key) is None, key
        assert effects.probes(coreweave, key) == [], key
    assert effects.key_effect(coreweave, "overlay.price.multiplier") is None  # a stress's size: it matters
    assert effects.key_effect(coreweave, "overlay.regime.end_month") == (
        "overlay.regime.end_month has no effect: overlay.regime.state is none (no regime is forced)"
    )
    assert effects.key_effect(coreweave, "firm.cash") is None
    assert effects.key_effect(coreweave, "market.price.drift") == (
        "market.price.drift has no effect: market.regime.shortage.drift and market.regime.glut.drift set every "
        "regime's own drift"
    )


def test_every_slot_no_rule_names_is_read_and_the_canonical_form_is_one_value():
    """Slots no rule names (a new slot, a stress overlay's sizes) stay as they are; the others take CANONICAL."""
    for preset in preset_names():
        resolved = effects.resolve(validate(read_preset(preset)))
        rows = zip(np.atleast_2d(resolved.canonical), np.atleast_2d(resolved.raw), resolved.unread, strict=True)
        for row, raw, unread in rows:
            read = np.setdiff1d(np.arange(L.PARAMETER_COUNT), list(unread))
            sizes = [L.STRESS_REGIME, L.STRESS_PRICE_LOG_STEP, L.STRESS_RATE_SHIFT]  # what makes an event act
            assert not set(sizes) & set(unread), preset
            months = {L.STRESS_REGIME_START, L.STRESS_REGIME_END, L.STRESS_PRICE_START, L.STRESS_RATE_START}
            assert months <= set(unread), preset  # the months of events of size zero
            start, end = L.MARKET_PARAMETERS  # a portfolio's firms hold the first firm's market
            outside = read[(read < start) | (read >= end)]
            assert np.array_equal(row[outside], raw[outside], equal_nan=True), preset
            assert np.all(np.isnan(row[list(unread)])), preset  # CANONICAL: a value no read slot takes


def test_a_stress_overlays_events_make_what_they_reach_matter():
    """A forced launch makes a launch's cut matter with no random launches; a forced glut, the glut's drift."""
    table = load_table(preset="coreweave", overrides=["market.price.jump_intensity=0"])
    assert effects.key_effect(table, "market.price.jump_size") is not None
    launched = apply_layer(copy.deepcopy(table), [("overlay.launch.month", 6)])
    assert effects.key_effect(launched, "market.price.jump_size") is None
    table = load_table(preset="coreweave", overrides=["market.regime.shortage_to_glut=0"])
    assert effects.key_effect(table, "market.regime.glut.drift") == (
        "market.regime.glut.drift has no effect: market.regime.shortage_to_glut is 0 (the market starts in "
        "shortage and is never in glut)"
    )
    forced = [("overlay.regime.state", "glut"), ("overlay.regime.start_month", 10), ("overlay.regime.end_month", 20)]
    forced = apply_layer(copy.deepcopy(table), forced)
    assert effects.key_effect(forced, "market.regime.glut.drift") is None
    for case, key in ((launched, "market.price.jump_size"), (forced, "market.regime.glut.drift")):
        base = effects.resolve(validate(case))
        (probe,) = effects.probes(case, key, base, limit=1)
        assert not same(firm_outputs(base.raw, 24, (64, [])), firm_outputs(probe.resolved.raw, 24, (64, [])))

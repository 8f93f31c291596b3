"""Shared helpers for the test suite: small configurations and direct backend runs."""

import copy
import itertools

import numpy as np

from gpu_stress.backends import get_backend
from gpu_stress.backends.launch import Launch
from gpu_stress.config.load import load_table, merge, validate
from gpu_stress.kernels import layout as L
from gpu_stress.params import parameter_vector

# A firm with every block of the model active: regimes, jumps, floor, rates,
# correlation, three cohorts of three priced generations (one planned for month 6
# with a deposit, a known delay, random slips and a lease; one retiring in month 25),
# four customers (so the third random block is drawn) with renewals, take-or-pay,
# regime hazards and a cohort contract with a delay penalty, a fixed charge,
# floating and fixed debt of every amortization and a delayed-draw facility,
# covenants with a cure period, refinancing.
FULL_MODEL = {
    "simulation": {"paths": 2000, "horizon_months": 60, "seed": 11},
    "market": {
        "price": {
            "initial": 2.5,
            "drift": -0.1,
            "volatility": 0.35,
            "jump_intensity": 0.8,
            "jump_size": 0.2,
            "floor_multiple": 1.0,
        },
        "regime": {
            "enabled": True,
            "shortage_to_glut": 0.05,
            "glut_to_shortage": 0.03,
            "shortage": {"drift": 0.0, "volatility": 0.25, "utilization": 0.9},
            "glut": {"drift": -0.35, "volatility": 0.4, "utilization": 0.7},
        },
        "utilization": {"initial": 0.85, "mean": 0.85, "mean_reversion": 3.0, "volatility": 0.7},
        "rates": {
            "enabled": True,
            "initial": 0.045,
            "mean": 0.035,
            "mean_reversion": 0.4,
            "volatility": 0.015,
            "floor": 0.01,
        },
        "correlation": {"price_utilization": 0.5, "price_rates": -0.2, "utilization_rates": 0.1},
    },
    "firm": {
        "gpus": 20_000,
        "gpu_cost": 50_000.0,
        "gpu_age_months": 12,
        "useful_life_months": 60,
        "cash": 40e6,
        "fixed_opex_month": 4e6,
    },
    "generations": [
        {"name": "H100", "relative_price": 1.0},
        {"name": "A100", "relative_price": 0.5},
        {"name": "H200", "relative_price": 1.3, "newest_at_delivery": True},
    ],
    "cohorts": [
        {
            "name": "older",
            "generation": "A100",
            "gpus": 1000,
            "gpu_cost": 20_000.0,
            "delivery_month": -36,
            "useful_life_months": 60,  # retires in month 25
            "power_kw": 0.8,
        },
        {
            "name": "newer",
            "generation": "H200",
            "gpus": 500,
            "gpu_cost": 35_000.0,
            "delivery_month": 6,  # 20 % paid in month 3, the rest in two tranches from month 7 or later
            "power_kw": 1.6,
            "age_decay": 0.3,
            "deposit": 0.2,
            "deposit_months_ahead": 3,
            "delay_months": 1,
            "delivery_months": 2,
            "lease_per_kw_month": 150.0,
        },
    ],
    "delivery_delays": {"slip_probability": 0.2, "glut_slip_probability": 0.4, "max_months": 6},
    "obligations": [{"name": "power contract", "monthly": 2e5, "start_month": 2, "escalation": 0.03}],
    "collateral": {"price_elasticity": 0.3, "age_decay": 0.15, "fire_sale_haircut": 0.55},
    "covenants": {"ltv_max": 1.3, "dscr_min": 0.9, "test_every_months": 3, "cure_tests": 1},
    "refinancing": {"enabled": True, "max_ltv": 0.9, "open_in_glut": False},
    "customers": [
        {
            "name": "a",
            "share": 0.3,
            "price": 2.6,
            "end_month": 12,
            "term_months": 12,
            "renewal_probability": 0.7,
            "glut_renewal_probability": 0.3,
            "renewal_discount": 0.1,
            "annual_default_probability": 0.05,
        },
        {"name": "b", "share": 0.2, "price": 2.4, "end_month": 48, "annual_default_probability": 0.1},
        {
            "name": "c",
            "cohort": "newer",
            "share": 0.4,
            "price": 3.2,
            "term_months": 24,
            "annual_default_probability": 0.02,
            "glut_annual_default_probability": 0.15,
            "delay_limit_months": 1,
            "delay_penalty": 0.1,
        },
        {
            "name": "d",
            "share": 0.1,
            "price": 2.2,
            "end_month": 60,
            "take_or_pay": 0.6,
            "annual_default_probability": 0.2,
        },
    ],
    "debt": [
        {"name": "term", "principal": 300e6, "rate": 0.09, "amortization": "annuity", "maturity_month": 48},
        {
            "name": "ddtl",
            "commitment": 20e6,
            "advance_rate": 0.7,
            "draw_end_month": 12,
            "undrawn_fee": 0.01,
            "funds": ["newer"],
            "rate": 0.1,
            "amortization": "annuity",
            "maturity_month": 48,
        },
        {"name": "notes", "principal": 200e6, "rate": 0.1, "amortization": "bullet", "maturity_month": 30},
        {
            "name": "abl",
            "principal": 150e6,
            "rate_type": "floating",
            "spread": 0.05,
            "amortization": "linear",
            "maturity_month": 40,
        },
        {
            "name": "rcf",
            "principal": 50e6,
            "rate_type": "floating",
            "spread": 0.03,
            "amortization": "bullet",
            "maturity_month": 24,
        },
    ],
}

# Pure market: no debt, no costs, so no path ever defaults and every path runs to the horizon.
MARKET_ONLY = {
    "simulation": {"paths": 20_000, "horizon_months": 60, "seed": 7},
    "market": {
        "price": {"initial": 2.0, "drift": 0.05, "volatility": 0.3},
        "utilization": {"enabled": False},
    },
    "firm": {"power_kw": 0.0, "opex_per_gpu_month": 0.0, "fixed_opex_month": 0.0, "cash": 1e6},
}


def table_with(base, *layers):
    """A deep copy of ``base`` with ``layers`` merged on top."""
    table = copy.deepcopy(base)
    for layer in layers:
        table = merge(table, layer)
    return table


# The full model with a capital structure: two pools (one ring-fenced without cross-default), a reserve,
# ranks, a borrowing base, a cash sweep, a vendor-financed facility, equity raises and a backstop.
CAPITAL_STRUCTURE = table_with(
    FULL_MODEL,
    {
        "pools": [
            {"name": "fleet", "cohorts": ["installed"], "share": 0.5, "reserve_months": 2.0},
            {"name": "growth", "cohorts": ["newer"], "ring_fenced": True, "cross_default": False},
        ],
        "equity": {"enabled": True, "max_raise_per_year": 0.2, "cost": 0.1},
        "backstop": {"cap": 30e6, "price": 1.5, "start_month": 3, "end_month": 40, "annual_default_probability": 0.1},
        "vendor": {"annual_default_probability": 0.2},
        "refinancing": {"leverage_spread": 0.05},
    },
)
CAPITAL_STRUCTURE["debt"] = [
    FULL_MODEL["debt"][0] | {"pool": "fleet", "borrowing_base": 1.5},
    FULL_MODEL["debt"][1] | {"pool": "growth", "vendor": True},
    FULL_MODEL["debt"][2] | {"rank": 2},
    FULL_MODEL["debt"][3] | {"pool": "fleet", "cash_sweep": 0.3, "sweep_dscr": 1.2},
    FULL_MODEL["debt"][4],
]


# Every stress overlay event at once (docs/model.md, "Stress overlays"), for FULL_MODEL (customer "b").
EVERY_EVENT = {
    "regime": {"state": "glut", "start_month": 2, "end_month": 14},
    "price": {"multiplier": 0.6, "start_month": 3, "months": 9},
    "rates": {"shift": 0.02, "start_month": 4},
    "launch": {"month": 5},
    "customer_default": {"customer": "b", "month": 7},
    "delivery_delay_months": 3,
}


def with_fire_sales(params, impact, retention):
    """A copy of a portfolio's parameter matrix with another secondary market (impact per GPU, retention)."""
    params = np.array(params, dtype=np.float64)
    params[:, L.FIRE_SALE_IMPACT] = impact
    params[:, L.FIRE_SALE_RETENTION] = retention
    return params


# A flat market (price $2.00, utilization 0.8, no volatility) and a fleet of 2,000 GPUs worth $100M (no age
# decay) with no costs: revenue and EBITDA 2,000 x 730 x 0.8 x $2 = $2.336M a month; one path, the base case.
FLAT_FIRM = {
    "simulation": {"paths": 1, "horizon_months": 12, "seed": 1, "base_case": True},
    "market": {
        "price": {"initial": 2.0, "drift": 0.0, "volatility": 0.0},
        "utilization": {"enabled": False, "initial": 0.8},
    },
    "firm": {
        "gpus": 2000,
        "gpu_cost": 50_000.0,
        "power_kw": 0.0,
        "opex_per_gpu_month": 0.0,
        "fixed_opex_month": 0.0,
        "cash": 50e6,
    },
    "collateral": {"age_decay": 0.0},
}


def assert_falls_on_common_random_numbers(defaults, order):
    """``defaults`` ({setting: 0/1 default indicator per path, on the same paths}) in ``order`` (the direction in
    which PD should fall): no step raises PD by more than 4 paired standard errors, and from the first setting
    to the last PD falls by more than 4."""

    def change(later, earlier):
        difference = defaults[later] - defaults[earlier]
        return difference.mean(), difference.std(ddof=1) / np.sqrt(difference.size)

    for earlier, later in itertools.pairwise(order):
        moved, se = change(later, earlier)
        assert moved <= 4 * se, (earlier, later, moved, se)
    moved, se = change(order[-1], order[0])
    assert moved < -4 * se, (moved, se)


def config_of(table):
    return validate(table)


def preset_config(name, *overrides):
    return validate(load_table(preset=name, overrides=overrides))


def simulate(config, backend="cpu", paths=None, path_start=0, tracked=0, dtype=np.float64, stream=0):
    """Per-path outputs of ``config`` as a dict of host numpy arrays, plus tracks."""
    simulation = config.simulation
    paths = paths or simulation.paths
    outputs_float, outputs_int, tracks = get_backend(backend).simulate(
        Launch(
            parameter_vector(config),
            simulation.horizon_months,
            simulation.seed,
            stream,
            path_start,
            paths,
            tracked,
            dtype=dtype,
        )
    )
    outputs_float, outputs_int, tracks = (np.asarray(a) for a in (outputs_float, outputs_int, tracks))
    result = {name: outputs_float[index] for index, name in enumerate(L.FLOAT_OUTPUT_NAMES)}
    result |= {name: outputs_int[index] for index, name in enumerate(L.INT_OUTPUT_NAMES)}
    result["tracks"] = tracks
    return result


def statement_of(table, backend="cpu", path=0):
    """The monthly statement (month x STATEMENT_*) of path ``path`` of ``table``, as ``gpu-stress trace`` shows it."""
    config = config_of(table)
    simulation = config.simulation
    _, _, statement = get_backend(backend).trace(
        Launch(
            parameter_vector(config),
            simulation.horizon_months,
            simulation.seed,
            0,
            0,
            path + 1,
            statement_path=path,
            dtype=np.float64,
        )
    )
    return statement


def statement_line(statement, name, month):
    """Line ``name`` of month ``month`` (1-based) of a statement from ``statement_of``."""
    return statement[month - 1, L.STATEMENT_NAMES.index(name)]


def assert_same_paths(first, second, rtol=1e-9):
    """Float outputs agree to ``rtol`` relative, default months and causes exactly.

    Values that cancel to near zero (cash) are compared against the column's
    scale, so "relative" means relative to the size of the quantity. Every
    output that ``second`` holds is compared (all of them, from ``simulate``).
    """
    for name in (name for name in L.INT_OUTPUT_NAMES if name in second):
        np.testing.assert_array_equal(first[name], second[name], err_msg=name)
    for name in (name for name in L.FLOAT_OUTPUT_NAMES if name in second):
        scale = float(np.max(np.abs(second[name]), initial=0.0))
        np.testing.assert_allclose(first[name], second[name], rtol=rtol, atol=rtol * scale, err_msg=name)


def per_path(result):
    """The outputs of ``simulate`` that the per-path table holds (its tranche outputs go to the tranche table)."""
    return {name: result[name] for name in L.PATH_INT_OUTPUT_NAMES + L.PATH_FLOAT_OUTPUT_NAMES}


def outputs_of_table(table):
    """Per-path outputs from a stored paths table, in the kernels' codes (no default: month -1, cause 0)."""
    result = {name: table[name].to_numpy() for name in L.PATH_FLOAT_OUTPUT_NAMES}
    result["default_month"] = table["default_month"].fill_null(-1).to_numpy()
    result["default_cause"] = table["default_cause"].combine_chunks().indices.fill_null(L.NO_DEFAULT).to_numpy()
    result["funding_failed_month"] = table["funding_failed_month"].fill_null(-1).to_numpy()
    return result


def credit_defaults(table):
    """Which paths of a stored paths table end in a credit default (what PD counts)."""
    causes = outputs_of_table(table)["default_cause"]
    return (causes != L.NO_DEFAULT) & (causes != L.INSOLVENT_NO_DEBT)


def interrupt_after(count, monkeypatch):
    """Make the engine raise KeyboardInterrupt (Ctrl-C) after ``count`` units; returns the real run_unit."""
    from gpu_stress import engine

    real_run_unit = engine.run_unit
    calls = []

    def interrupted(spec, unit):
        if len(calls) == count:
            raise KeyboardInterrupt
        calls.append(unit)
        return real_run_unit(spec, unit)

    monkeypatch.setattr(engine, "run_unit", interrupted)
    return real_run_unit


# What `gpu-stress run` prints on stderr before any error: the backend, a first compile, recomputed chunks.
STATUS_PREFIXES = ("backend: ", "compiling kernels", "recomputing chunk ", "cluster: ", "done: ")


def error_lines(stderr):
    """The lines of ``stderr`` that are not status lines."""
    return [line for line in stderr.strip().splitlines() if not line.startswith(STATUS_PREFIXES)]


def reseal(directory):
    """Write ``directory``'s manifest anew over every file in it: a test's own edit of a results directory, made
    to look as a gpu-stress that wrote it so would have (results of another version, a hand-built fixture)."""
    import json
    from pathlib import Path

    from gpu_stress.results import manifest, ownership

    directory = Path(directory)
    run_id = json.loads((directory / "run.json").read_text()).get("run_id", "test")
    skip = {"run.json", manifest.MANIFEST_FILE, "lock"}
    files = {
        path.relative_to(directory).as_posix(): manifest.entry(directory, path.relative_to(directory))
        for path in sorted(directory.rglob("*"))
        if path.is_file() and path.relative_to(directory).as_posix() not in skip
    }
    ownership.write_manifest(directory, run_id, files)

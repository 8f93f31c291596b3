"""The firm step's named sub-steps on their own, compiled and as plain Python, against hand-computed values."""

import math

import numba
import numpy as np
import pytest

from gpu_stress.kernels import capital
from gpu_stress.kernels import layout as L
from gpu_stress.kernels.contracts import contracts
from gpu_stress.kernels.covenants import covenant_tests, liquidity_test, trailing_coverage
from gpu_stress.kernels.debt_service import debt_service, pay_service
from gpu_stress.kernels.firm import init_firm
from gpu_stress.kernels.fleet import deliveries, fleet
from gpu_stress.kernels.operations import operating_cash_flow
from gpu_stress.params import parameter_vector
from helpers import config_of

F64 = np.float64
TABLE = {
    "firm": {
        "gpus": 1000,
        "power_kw": 1.0,
        "pue": 1.25,
        "electricity_price": 0.1,
        "idle_power_fraction": 0.2,
        "opex_per_gpu_month": 100.0,
        "fixed_opex_month": 50_000.0,
        "cash": 1e6,
    },
    "customers": [{"share": 0.5, "price": 2.0, "end_month": 12, "annual_default_probability": 0.1}],
    "debt": [
        {"principal": 12e6, "rate": 0.12, "amortization": "annuity", "maturity_month": 24},
        {"principal": 5e6, "rate": 0.06, "amortization": "bullet", "maturity_month": 3},
    ],
    "covenants": {"ltv_max": 0.8, "dscr_min": 1.25, "test_every_months": 3, "cure_tests": 1},
    "collateral": {"fire_sale_haircut": 0.4},
}


class Compiled:
    """The sub-steps called from numba-compiled code, as the kernels call them."""

    contracts = staticmethod(
        numba.njit(
            lambda params, state, month, regime, log_price, dtype: contracts(
                params, state, month, regime, log_price, dtype
            )
        )
    )
    operating_cash_flow = staticmethod(
        numba.njit(
            lambda params, state, month, log_price, utilization, dtype: operating_cash_flow(
                params, state, month, log_price, utilization, dtype
            )
        )
    )
    debt_service = staticmethod(numba.njit(lambda *arguments: debt_service_paid(*arguments)))
    trailing_coverage = staticmethod(
        numba.njit(lambda state, month, ebitda, service, dtype: trailing_coverage(state, month, ebitda, service, dtype))
    )
    liquidity_test = staticmethod(
        numba.njit(lambda cash, service, balloon, debt, dtype: liquidity_test(cash, service, balloon, debt, dtype))
    )
    covenant_tests = staticmethod(
        numba.njit(
            lambda params, state, month, debt, ltv, dscr, quarter, dtype: covenant_tests(
                params, state, month, debt, ltv, dscr, quarter, dtype
            )
        )
    )
    share_by_rank = staticmethod(
        numba.njit(
            lambda params, state, pool, month, assets, shares, dtype: capital.share_by_rank(
                params, state, pool, month, assets, shares, dtype
            )
        )
    )


@numba.extending.register_jitable
def debt_service_paid(params, state, month, regime, rate, debt, value, leverage, dtype):
    """(service, unrefinanced balloon) due this month, and the balances once it is paid."""
    debt_service(params, state, month, regime, rate, debt, value, leverage, dtype)
    service, balloon = capital.service_due(params, state, dtype)
    pay_service(params, state, dtype(0.0), service, dtype)
    return service, balloon


class Plain:
    """The same sub-steps as plain Python."""

    contracts = staticmethod(contracts)
    operating_cash_flow = staticmethod(operating_cash_flow)
    debt_service = staticmethod(debt_service_paid)
    trailing_coverage = staticmethod(trailing_coverage)
    liquidity_test = staticmethod(liquidity_test)
    covenant_tests = staticmethod(covenant_tests)
    share_by_rank = staticmethod(capital.share_by_rank)


BOTH = [pytest.param(Plain, id="python"), pytest.param(Compiled, id="njit")]


@pytest.fixture
def params():
    return parameter_vector(config_of(TABLE))


def fresh_state(params):
    state = np.zeros(L.STATE_SIZE)
    init_firm(params, state, F64)
    return state


@pytest.mark.parametrize("build", BOTH)
def test_operating_cash_flow(build, params):
    state = fresh_state(params)
    state[L.CUSTOMER_DRAW] = 0.5  # above the monthly hazard: the customer pays
    price, utilization = 2.5, 0.8
    assert build.contracts(params, state, 1, 0, math.log(price), F64) == 0.0  # no delay penalty
    ebitda = build.operating_cash_flow(params, state, 1, math.log(price), utilization, F64)
    hours = 1000 * 730
    revenue = hours * (0.5 * 2.0 + 0.5 * utilization * price)
    busy = 0.5 + 0.5 * utilization
    power = hours * 1.0 * 1.25 * 0.1 * (busy + (1 - busy) * 0.2)
    assert ebitda == pytest.approx(revenue - power - 1000 * 100.0 - 50_000.0, rel=1e-13)
    assert state[L.GPUS] == 1000 and state[L.REVENUE_CONTRACTED] == pytest.approx(hours * 0.5 * 2.0, rel=1e-15)
    state[L.CUSTOMER_DRAW] = 1e-6  # below the hazard: it defaults, and its half goes to spot
    build.contracts(params, state, 2, 0, math.log(price), F64)
    ebitda = build.operating_cash_flow(params, state, 2, math.log(price), utilization, F64)
    assert state[L.CUSTOMER_ALIVE] == 0.0
    power = hours * 1.25 * 0.1 * (utilization + (1 - utilization) * 0.2)
    assert ebitda == pytest.approx(hours * utilization * price - power - 150_000.0, rel=1e-13)
    # The installed fleet retires after its useful life (72 months): only the fixed opex is left.
    assert build.operating_cash_flow(params, state, 73, math.log(price), utilization, F64) == -50_000.0


@pytest.mark.parametrize("build", BOTH)
def test_debt_service_annuity_and_unrefinanced_balloon(build, params):
    state = fresh_state(params)
    service, balloon = build.debt_service(params, state, 1, 0, 0.04, 17e6, 34e6, 0.5, F64)
    i = 0.12 / 12
    level = 12e6 * i / (1 - (1 + i) ** -24)
    assert service == pytest.approx(level + 5e6 * 0.06 / 12, rel=1e-12) and balloon == 0.0
    assert state[L.BALANCE] == pytest.approx(12e6 - (level - 12e6 * i), rel=1e-12)
    build.debt_service(params, state, 2, 0, 0.04, 17e6, 34e6, 0.5, F64)
    service, balloon = build.debt_service(params, state, 3, 0, 0.04, 17e6, 34e6, 0.5, F64)  # refinancing is off
    assert balloon == 5e6 and service == pytest.approx(level + 5e6 * (1 + 0.06 / 12), rel=1e-12)


@pytest.mark.parametrize("build", BOTH)
def test_trailing_coverage(build, params):
    state = fresh_state(params)
    coverage = build.trailing_coverage
    assert coverage(state, 1, 300.0, 100.0, F64) == (3.0, 100.0)
    assert coverage(state, 2, 100.0, 100.0, F64) == (2.0, 200.0)
    assert coverage(state, 3, -100.0, 200.0, F64) == (0.75, 400.0)
    assert coverage(state, 4, 100.0, 0.0, F64) == (pytest.approx(100.0 / 300.0), 300.0)  # month 1 left
    assert coverage(fresh_state(params), 1, 5.0, 0.0, F64)[0] == L.RATIO_CAP  # nothing due


@pytest.mark.parametrize("build", BOTH)
@pytest.mark.parametrize(
    ("cash", "service", "balloon", "debt", "cause"),
    [
        (100.0, 100.0, 0.0, 1e6, L.NO_DEFAULT),
        (99.0, 100.0, 0.0, 1e6, L.LIQUIDITY),
        (60.0, 100.0, 50.0, 1e6, L.REFINANCING),  # all but the balloon was payable
        (40.0, 100.0, 50.0, 1e6, L.LIQUIDITY),
        (-5.0, 0.0, 0.0, 0.0, L.INSOLVENT_NO_DEBT),
    ],
)
def test_liquidity_test(build, cash, service, balloon, debt, cause):
    assert build.liquidity_test(cash, service, balloon, debt, F64) == cause


@pytest.mark.parametrize("build", BOTH)
def test_covenant_tests_count_breaches_and_cure(build, params):
    state = fresh_state(params)
    test = build.covenant_tests
    assert test(params, state, 2, 1e6, 0.9, 2.0, 1.0, F64) == L.NO_DEFAULT  # not a test month
    assert state[L.BREACHES] == 0.0
    assert test(params, state, 3, 1e6, 0.9, 2.0, 1.0, F64) == L.NO_DEFAULT  # first breach is cured
    assert state[L.BREACHES] == 1.0
    assert test(params, state, 6, 1e6, 0.5, 2.0, 1.0, F64) == L.NO_DEFAULT and state[L.BREACHES] == 0.0
    assert test(params, state, 9, 1e6, 0.5, 1.0, 1.0, F64) == L.NO_DEFAULT  # DSCR 1.0 < 1.25
    assert test(params, state, 12, 1e6, 0.5, 1.0, 1.0, F64) == L.DSCR_BREACH
    state[L.BREACHES] = 1.0
    assert test(params, state, 15, 1e6, 0.9, 1.0, 1.0, F64) == L.LTV_BREACH  # LTV named first
    assert test(params, state, 18, 0.0, 9.0, 0.0, 1.0, F64) == L.NO_DEFAULT  # no debt, no test


@pytest.mark.parametrize("build", BOTH)
def test_share_by_rank_pays_rank_one_in_full_first_then_pro_rata(build):
    table = TABLE | {"debt": [{"principal": 1.0, "maturity_month": 12, "rank": rank} for rank in (2, 1, 1)]}
    params = parameter_vector(config_of(table))
    state = fresh_state(params)
    for j, ead in enumerate((50.0, 30.0, 10.0)):
        state[L.TRANCHE_DEFAULT_MONTH + j] = 7.0
        state[L.TRANCHE_EAD + j] = ead
    state[L.TRANCHE_RECOVERY + 1] = 6.0  # already recovered from a pool: a claim of 24 is left
    pot = (0.25, 0.5, 0.0)  # a quarter of the pot from GPUs, half from contracts, the rest reserves and cash
    left = build.share_by_rank(params, state, -1, 7, 54.0, pot, F64)
    assert left == 0.0
    assert state[L.TRANCHE_RECOVERY + 1] == 30.0 and state[L.TRANCHE_RECOVERY + 2] == 10.0  # rank 1: paid in full
    assert state[L.TRANCHE_RECOVERY] == pytest.approx(20.0, rel=1e-15)  # rank 2 gets the 20 left
    # Each payment is booked by the pot's make-up: tranche 1 was paid 24 of it (6 it had from a pool before).
    assert state[L.TRANCHE_RECOVERY_GPUS + 1] == 6.0 and state[L.TRANCHE_RECOVERY_CONTRACTS + 1] == 12.0
    assert state[L.TRANCHE_RECOVERY_GPUS] == pytest.approx(5.0) and state[L.TRANCHE_RECOVERY_ENTERPRISE] == 0.0
    state[L.TRANCHE_RECOVERY + 1] = state[L.TRANCHE_RECOVERY + 2] = state[L.TRANCHE_RECOVERY] = 0.0
    assert build.share_by_rank(params, state, -1, 7, 20.0, pot, F64) == 0.0  # less than rank 1's 40: pro rata
    assert state[L.TRANCHE_RECOVERY + 1] == pytest.approx(15.0) and state[L.TRANCHE_RECOVERY + 2] == pytest.approx(5.0)
    assert state[L.TRANCHE_RECOVERY] == 0.0
    assert build.share_by_rank(params, state, -1, 8, 100.0, pot, F64) == 100.0  # nothing in default in month 8


def test_fleet_of_cohorts_that_retire_on_their_own():
    table = TABLE | {
        "cohorts": [
            {"gpus": 200, "gpu_cost": 30_000.0, "delivery_month": -30, "useful_life_months": 36, "power_kw": 0.8},
            {"gpus": 50, "gpu_cost": 60_000.0, "delivery_month": 0, "useful_life_months": 120, "age_decay": 0.4},
        ]
    }
    config = config_of(table)
    params = parameter_vector(config)
    state = fresh_state(params)
    decay = config.collateral.age_decay
    for month, in_service in ((6, (1000, 200, 50)), (7, (1000, 0, 50)), (73, (0, 0, 50))):
        gpus, power_full, value = fleet(params, state, month, 0.0, F64)
        assert gpus == sum(in_service), month
        ages = (month, 30 + month, month)
        decays = (decay, decay, 0.4)
        costs = (1000 * config.firm.gpu_cost, 200 * 30_000.0, 50 * 60_000.0)
        expected = sum(
            cost * (1 - d) ** (age / 12) for cost, age, d, n in zip(costs, ages, decays, in_service, strict=True) if n
        )
        assert value == pytest.approx(expected, rel=1e-13), month
        kw = (1.0, 0.8, 1.4)
        expected_power = sum(n * k * 1.25 * 730 * 0.1 for n, k in zip(in_service, kw, strict=True))
        assert power_full == pytest.approx(expected_power, rel=1e-13), month
    _, _, value = fleet(params, state, 6, math.log(0.5), F64)
    assert value == pytest.approx(fleet(params, state, 6, 0.0, F64)[2] * 0.5**config.collateral.price_elasticity)


def test_deliveries_pay_a_cohort_in_its_delivery_month():
    table = TABLE | {"cohorts": [{"gpus": 100, "gpu_cost": 40_000.0, "delivery_month": 5}]}
    params = parameter_vector(config_of(table))
    state = fresh_state(params)
    assert [deliveries(params, state, month, 0, F64) for month in (4, 5, 6)] == [
        (0.0, 0.0),
        (4e6, 0.0),
        (0.0, 0.0),
    ]
    assert fleet(params, state, 4, 0.0, F64)[0] == 1000 and fleet(params, state, 5, 0.0, F64)[0] == 1100


def test_deliveries_pay_the_deposit_ahead_and_draw_the_facility_on_arrival():
    table = TABLE | {
        "cohorts": [
            {
                "name": "b200",
                "gpus": 100,
                "gpu_cost": 40_000.0,
                "delivery_month": 5,
                "deposit": 0.25,
                "deposit_months_ahead": 3,
            }
        ],
        "debt": [
            {
                "principal": 0.0,
                "commitment": 5e6,
                "advance_rate": 0.8,
                "draw_end_month": 12,
                "funds": ["b200"],
                "maturity_month": 36,
                "amortization": "linear",
            }
        ],
    }
    params = parameter_vector(config_of(table))
    state = fresh_state(params)
    paid = [deliveries(params, state, month, 0, F64) for month in range(1, 7)]
    assert paid == [(0.0, 0.0), (1e6, 0.0), (0.0, 0.0), (0.0, 0.0), (3e6, 3.2e6), (0.0, 0.0)]
    assert state[L.BALANCE] == 3.2e6 and state[L.UNDRAWN] == pytest.approx(1.8e6)

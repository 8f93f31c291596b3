"""Leases and power contracts as claims: the ``lease`` default, the landlords' claims in the waterfall, lease-adjusted
debt, computed here by hand from the firm's statement on the cpu kernels and the numpy oracle."""

import math

import numpy as np
import pytest

from gpu_stress.kernels import layout as L
from helpers import MARKET_ONLY, config_of, simulate, statement_line, statement_of, table_with

RENT = 25e6  # $ a month, months 1-6
LOAN = 50e6  # a bullet at 5 %, due in month 36
HAIRCUT = 0.5

# A firm whose rent exceeds what its GPUs earn: it cannot pay month 1's rent.
LEASED = table_with(
    MARKET_ONLY,
    {
        "simulation": {"paths": 4, "horizon_months": 24, "base_case": True},
        "firm": {"gpus": 12_000, "gpu_cost": 25_000.0, "cash": 1e6},
        "collateral": {"fire_sale_haircut": HAIRCUT},
        "obligations": [{"name": "campus", "monthly": RENT, "start_month": 1, "end_month": 6}],
        "debt": [{"name": "notes", "principal": LOAN, "rate": 0.05, "amortization": "bullet", "maturity_month": 36}],
    },
)


def rent_over(months):
    return RENT * months


def capped_damages(months_left, share=1.0, starts_in=1):
    """11 U.S.C. 502(b)(6): ``share`` of the rent left, capped at the rent of the greater of the year after the
    default or 15 % of the rest, at most the three years after it; the lease's first rent ``starts_in`` months
    after the default."""
    left = rent_over(months_left)

    def within(window):  # the months of the window after the default that the lease runs
        return rent_over(min(months_left, max(window - starts_in + 1, 0)))

    return min(share * left, max(within(12), min(0.15 * left, within(36))))


def estate_of(table, backend):
    """The month-1 estate (cash is below zero: the fleet at the fire-sale recovery) and cash, from the statement."""
    statement = statement_of(table, backend)
    cash = statement_line(statement, "cash", 1)
    return statement_line(statement, "fleet_value", 1) * (1 - HAIRCUT), cash, statement


@pytest.mark.parametrize("backend", ["cpu", "numpy"])
@pytest.mark.parametrize(("lender_rank", "landlord_rank"), [(1, 2), (2, 1), (2, 2)])
def test_a_missed_lease_payment_is_a_lease_default_and_the_estate_splits_by_priority(
    backend, lender_rank, landlord_rank
):
    table = table_with(LEASED, {"claims": {"rank": landlord_rank}})
    table["debt"][0]["rank"] = lender_rank
    outputs = simulate(config_of(table), backend)
    estate, cash, statement = estate_of(table, backend)
    assert cash < 0 and statement_line(statement, "fixed_charges", 1) == RENT
    assert (outputs["default_month"] == 1).all() and (outputs["default_cause"] == L.LEASE).all()

    claim = -cash + capped_damages(5)  # month 1's unpaid rent and the 5 months left (under a year: all of it)
    assert capped_damages(5) == rent_over(5)
    np.testing.assert_allclose(outputs["lease_claim"], claim, rtol=1e-12)
    if lender_rank < landlord_rank:
        lender, landlord = min(LOAN, estate), max(estate - LOAN, 0.0)
    elif landlord_rank < lender_rank:
        landlord, lender = min(claim, estate), max(estate - claim, 0.0)
    else:
        lender, landlord = estate * LOAN / (LOAN + claim), estate * claim / (LOAN + claim)
    assert 0 < lender <= LOAN and 0 < landlord <= claim and lender + landlord < LOAN + claim  # both lose
    np.testing.assert_allclose(outputs["tranche_recovery_0"], lender, rtol=1e-12)
    np.testing.assert_allclose(outputs["lease_recovery"], landlord, rtol=1e-12)
    np.testing.assert_allclose(outputs["ead"], LOAN, rtol=1e-12)


@pytest.mark.parametrize("backend", ["cpu", "numpy"])
def test_without_claims_the_lease_is_a_cost_and_the_lender_takes_the_estate(backend):
    table = table_with(LEASED, {"claims": {"fixed_charges": False}})
    outputs = simulate(config_of(table), backend)
    estate, _, _ = estate_of(table, backend)
    assert (outputs["default_cause"] == L.LIQUIDITY).all()
    assert (outputs["lease_claim"] == 0).all() and (outputs["lease_recovery"] == 0).all()
    np.testing.assert_allclose(outputs["tranche_recovery_0"], min(LOAN, estate), rtol=1e-12)


@pytest.mark.parametrize("backend", ["cpu", "numpy"])
def test_a_firm_that_owes_no_lender_but_owes_rent_defaults_on_its_lease(backend):
    table = table_with(LEASED)
    table["debt"] = []
    outputs = simulate(config_of(table), backend)
    assert (outputs["default_cause"] == L.LEASE).all()
    estate, cash, _ = estate_of(table, backend)
    claim = -cash + capped_damages(5)
    assert claim < estate  # alone in the estate, the landlord is paid in full
    np.testing.assert_allclose(outputs["lease_claim"], claim, rtol=1e-12)
    np.testing.assert_allclose(outputs["lease_recovery"], claim, rtol=1e-12)
    off = simulate(config_of(table_with(table, {"claims": {"fixed_charges": False}})), backend)
    assert (off["default_cause"] == L.INSOLVENT_NO_DEBT).all()


def test_a_long_lease_is_capped_at_fifteen_percent_and_three_years():
    assert capped_damages(119) == 0.15 * rent_over(119)  # between one and three years' rent
    assert capped_damages(300) == rent_over(36)  # 15 % would be 45 months: three years at most
    assert capped_damages(6) == rent_over(6)  # less than a year left: what is left


@pytest.mark.parametrize("backend", ["cpu", "numpy"])
@pytest.mark.parametrize(("end_month", "kind"), [(120, "real_property"), (420, "real_property"), (120, "power")])
def test_rejection_damages_of_long_leases_and_power_contracts(backend, end_month, kind):
    table = table_with(LEASED)
    table["obligations"][0] |= {"end_month": end_month, "kind": kind, "claim_share": 0.5}
    outputs = simulate(config_of(table), backend)
    _, cash, _ = estate_of(table, backend)
    left = end_month - 1
    damages = capped_damages(left, share=0.5) if kind == "real_property" else 0.5 * rent_over(left)
    if end_month == 420 and kind == "real_property":  # the cap binds after the share: three years' rent
        assert damages == rent_over(36) < 0.5 * rent_over(left)
    np.testing.assert_allclose(outputs["lease_claim"], -cash + damages, rtol=1e-12)


@pytest.mark.parametrize("backend", ["cpu", "numpy"])
def test_a_lease_not_yet_commenced_is_capped_by_the_years_after_the_default(backend):
    table = table_with(LEASED)
    table["obligations"].append(
        {"name": "new campus", "monthly": RENT, "start_month": 21, "end_month": 200, "kind": "real_property"}
    )
    outputs = simulate(config_of(table), backend)
    _, cash, _ = estate_of(table, backend)
    # Its first rent is in month 21, 20 months after the month-1 default: it runs 17 of the 36 months after the
    # default (months 21-37) and none of the first 12.
    new_campus = capped_damages(180, starts_in=20)
    assert new_campus == min(0.15 * rent_over(180), rent_over(17)) == rent_over(17)
    np.testing.assert_allclose(outputs["lease_claim"], -cash + capped_damages(5) + new_campus, rtol=1e-12)


@pytest.mark.parametrize("backend", ["cpu", "numpy"])
def test_lease_adjusted_debt_is_debt_plus_the_discounted_rent_left(backend):
    rate = 0.08
    table = table_with(
        LEASED,
        {"firm": {"cash": 1e9}, "claims": {"discount_rate": rate}, "simulation": {"horizon_months": 12}},
    )
    table["obligations"][0]["end_month"] = 24
    statement = statement_of(table, backend)
    outputs = simulate(config_of(table), backend)
    monthly = math.log1p(rate) / 12
    for month in (1, 6, 12):
        liability = sum(RENT * math.exp(-monthly * (t - month)) for t in range(month + 1, 25))
        assert statement_line(statement, "lease_liability", month) == pytest.approx(liability, rel=1e-12)
        adjusted = statement_line(statement, "debt", month) + liability
        assert statement_line(statement, "lease_adjusted_debt", month) == pytest.approx(adjusted, rel=1e-12)
        quarter = sum(
            statement_line(statement, "ebitda", t) + statement_line(statement, "fixed_charges", t)
            for t in range(max(1, month - 2), month + 1)
        )
        ebitdar = quarter * 12 / min(month, 3)
        leverage = statement_line(statement, "lease_adjusted_leverage", month)
        assert leverage == pytest.approx(adjusted / ebitdar if ebitdar > 0 else L.RATIO_CAP, rel=1e-12)
    assert (outputs["default_month"] < 0).all()
    np.testing.assert_allclose(outputs["lease_adjusted_debt"], LOAN + statement_line(statement, "lease_liability", 12))

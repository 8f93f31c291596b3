"""The capital structure on every path (``kernels/capital.py``): pools, reserves, equity, prepayments, the waterfall."""

import numpy as np

from ...kernels import layout as L
from .equity import equity_value
from .recovery import contract_gain, enterprise_surplus, pool_sale_value, sale_values, shares_of, unpledged_sale_value


def share_by_rank(firm, claims, assets, members, lease=None):
    """Pay the ``claims`` (paths x tranches) of tranches ``members`` from ``assets`` (paths).

    Rank by rank, strictly (a rank gets nothing until the ranks above it are
    paid in full), pro rata to the claims within a rank. ``lease``: the fixed
    charges' counterparties' claims (paths), at CLAIMS_RANK. Returns
    (payments, assets left over), and with ``lease`` what it was paid.
    """
    xp, zero = firm.xp, firm.dtype(0.0)
    payments = xp.zeros_like(claims)
    lease_paid = None if lease is None else xp.zeros_like(lease)
    lease_rank = int(firm.p[L.CLAIMS_RANK]) if lease is not None else 0
    for rank in range(1, L.MAX_RANK + 1):
        ranked = [j for j in members if firm.tranche_rank[j] == rank]
        if not ranked and rank != lease_rank:
            continue
        total = firm.full(0.0)
        for j in ranked:
            total = total + claims[:, j]
        if rank == lease_rank:
            total = total + lease
        paid = xp.minimum(assets, total)
        for j in ranked:
            pro_rata = xp.where(total > 0, paid * (claims[:, j] / total), zero)
            # A rank paid in full gets exactly its claims: no rounding is left over as a loss.
            payments[:, j] = xp.where(paid >= total, claims[:, j], pro_rata)
        if rank == lease_rank:
            pro_rata = xp.where(total > 0, paid * (lease / total), zero)
            lease_paid = xp.where(paid >= total, lease, pro_rata)
        assets = assets - paid
    return (payments, assets) if lease is None else (payments, assets, lease_paid)


def pool_values(firm, s, m):
    """Each pool's value and cash flow (``m.pool_value``, ``m.pool_cash_flow``): its share of its cohorts in full.

    Other pools' sales never take a pool's share; a pool in default is worth nothing to the firm.
    """
    p, xp, dtype = firm.p, firm.xp, firm.dtype
    pool_value = xp.zeros((firm.paths, firm.pools), dtype)
    pool_cash_flow = xp.zeros((firm.paths, firm.pools), dtype)
    for q in range(firm.pools):
        value_q, cash_flow_q = firm.full(0.0), firm.full(0.0)
        for c in firm.pool_cohorts[q]:
            value_q = value_q + m.cohort_value[c]
            cash_flow_q = cash_flow_q + m.cohort_cash_flow[c]
        pool_value[:, q] = xp.where(s.pool_defaulted[:, q], dtype(0.0), p[L.POOL_SHARE + q] * value_q)
        pool_cash_flow[:, q] = p[L.POOL_SHARE + q] * cash_flow_q
    m.pool_value, m.pool_cash_flow = pool_value, pool_cash_flow


def pool_tests(firm, s, m):
    """Each ring-fenced pool serves its tranches from its own cash flow and reserve, or defaults on its own.

    Its lenders take its share of the fleet, its reserve and its month of cash flow
    (non-recourse); what they do not need comes back to the parent. Sets
    ``m.pool_event`` (a pool defaulted now), ``m.cross_default`` (one whose default
    is the parent's) and ``m.gpus_sold``, and takes the pools' service out of the month's.
    """
    p, xp, dtype, paths = firm.p, firm.xp, firm.dtype, firm.paths
    zero = dtype(0.0)
    recovery_rate = p[L.FIRE_SALE_RECOVERY]  # 1 - fire-sale haircut
    net = p[L.RECOVERY_NET]
    values = sale_values(firm, s, m)
    was_alive, month = m.was_alive, m.month
    pool_defaults_now = xp.zeros((paths, firm.pools), bool)
    gpus_sold = firm.full(0.0)  # by the lenders of the pools that default now (the parent's: all it owns)
    for q in range(firm.pools):
        if p[L.POOL_RING_FENCED + q] <= 0 or not firm.pool_tranches[q]:
            continue
        members = firm.pool_tranches[q]
        owing = xp.zeros(paths, bool)
        for j in members:
            owing |= s.balance[:, j] > 0
        fails = was_alive & ~s.pool_defaulted[:, q] & owing
        fails &= m.pool_cash_flow[:, q] + s.reserve[:, q] < m.pool_service[q]
        pool_defaults_now[:, q] = fails
        gpus_q = zero
        for c in firm.pool_cohorts[q]:
            gpus_q = gpus_q + m.in_service[c]
        gpus_sold = gpus_sold + xp.where(fails, gpus_q * p[L.POOL_SHARE + q], zero)
        claims = xp.zeros((paths, firm.tranches), dtype)
        for j in members:
            in_default = fails & (s.balance[:, j] > 0)
            claims[:, j] = xp.where(in_default, s.balance[:, j], zero)
            s.tranche_default_month[:, j] = xp.where(in_default, month, s.tranche_default_month[:, j])
            s.tranche_ead[:, j] = xp.where(in_default, s.balance[:, j], s.tranche_ead[:, j])
        gpus = pool_sale_value(firm, m, values, q) * recovery_rate * net
        contracts = contract_gain(firm, s, m, values, q) * net
        assets = gpus + contracts + s.reserve[:, q] * net + xp.maximum(m.pool_cash_flow[:, q], zero) * net
        recovered, surplus = share_by_rank(firm, claims, xp.where(fails, assets, zero), members)
        book_sources(s, recovered, members, fails, shares_of(firm, assets, gpus, contracts, zero))
        for j in members:
            s.tranche_recovery[:, j] = xp.where(
                fails & (s.balance[:, j] > 0), recovered[:, j], s.tranche_recovery[:, j]
            )
            # Settled: no balance, no commitment, and this month's service is not paid.
            s.balance[:, j] = xp.where(fails, zero, s.balance[:, j])
            m.new_balance[:, j] = xp.where(fails, zero, m.new_balance[:, j])
            s.undrawn[:, j] = xp.where(fails, zero, s.undrawn[:, j])
            m.interest_by_tranche[j] = xp.where(fails, zero, m.interest_by_tranche[j])
            m.principal_by_tranche[j] = xp.where(fails, zero, m.principal_by_tranche[j])
        m.service = m.service - xp.where(fails, m.pool_service[q], zero)
        m.balloon = m.balloon - xp.where(fails, m.pool_balloon[q], zero)
        # The pool's cash flow went to its lenders; what they did not need comes back to the parent.
        m.cash_before_service = m.cash_before_service + xp.where(
            fails, surplus / net - xp.maximum(m.pool_cash_flow[:, q], zero), zero
        )
        s.reserve[:, q] = xp.where(fails, zero, s.reserve[:, q])
        for c in firm.pool_cohorts[q]:
            s.sold[:, c] = xp.where(fails, s.sold[:, c] + p[L.POOL_SHARE + q], s.sold[:, c])
        s.pool_defaulted[:, q] |= fails
    for q in range(firm.pools):
        m.value = m.value - xp.where(pool_defaults_now[:, q], m.pool_value[:, q], zero)
    m.pool_value = xp.where(s.pool_defaulted, zero, m.pool_value)
    m.pool_event = pool_defaults_now.any(axis=1)
    cross_default = xp.zeros(paths, bool)
    for q in range(firm.pools):
        if p[L.POOL_CROSS_DEFAULT + q] > 0:
            cross_default |= pool_defaults_now[:, q]
    m.cross_default, m.gpus_sold = cross_default, gpus_sold


def cover_shortfall(firm, s, m):
    """Cash, then the pools' reserves, then new equity pay the month's service, or the firm goes unpaid.

    Sets ``m.debt`` (the parent's, before the payment), ``m.paying``, ``m.reserve_draw``
    (each reserve pays only its own pool's tranches), ``m.available`` (cash and
    reserves), the raise (``m.raises``, ``m.gross_raise``, ``m.book_equity``) and
    ``m.unpaid``: the paths on which the service is not paid.
    """
    p, xp, dtype = firm.p, firm.xp, firm.dtype
    zero, one = dtype(0.0), dtype(1.0)
    debt = s.balance.sum(axis=1)
    paying = m.was_alive & ~m.cross_default
    needed = xp.maximum(m.service - m.cash_before_service, zero)
    reserve_draw = xp.zeros((firm.paths, firm.pools), dtype)
    for q in range(firm.pools):
        draw = xp.minimum(xp.minimum(s.reserve[:, q], m.pool_service[q]), needed)
        reserve_draw[:, q] = xp.where(s.pool_defaulted[:, q], zero, draw)
        needed = needed - reserve_draw[:, q]
    m.available = m.cash_before_service + reserve_draw.sum(axis=1)
    # What is still unpaid: exactly 0 when the reserves cover the rest (cash + draws can round below S).
    short = paying & (needed > 0)
    book_equity = equity_value(firm, s, m, m.cash_before_service, m.value, s.reserve.sum(axis=1), debt)
    gross_raise = needed / (one - p[L.EQUITY_COST])
    room = p[L.EQUITY_MAX_RAISE] * book_equity - s.raised_this_year
    raises = short & (p[L.EQUITY_ENABLED] > 0) & (m.by_regime(L.EQUITY_OPEN) > 0)
    raises &= (book_equity > 0) & (gross_raise <= room)
    m.debt, m.paying, m.reserve_draw = debt, paying, reserve_draw
    m.raises, m.gross_raise, m.book_equity = raises, gross_raise, book_equity
    m.unpaid = short & ~raises


def pay_service(firm, s, m):
    """The paths that pay (``m.paid``) pay the month's service: balances, reserves, the raise, and cash."""
    p, xp, dtype = firm.p, firm.xp, firm.dtype
    zero, one = dtype(0.0), dtype(1.0)
    raises, gross_raise, book_equity = m.raises, m.gross_raise, m.book_equity
    paid = m.paid = m.paying & ~m.unpaid
    raised = m.raised = xp.where(raises, gross_raise, zero)
    proceeds = raised * (one - p[L.EQUITY_COST])
    # Dilution: the holders of month 0 keep E / (E + X) of what they held.
    s.equity_share = xp.where(raises, s.equity_share * (book_equity / (book_equity + gross_raise)), s.equity_share)
    s.equity_raised = s.equity_raised + raised
    s.raised_this_year = s.raised_this_year + raised
    reserve_draw = m.reserve_draw = xp.where(paid[:, None], m.reserve_draw, zero)
    s.reserve = s.reserve - reserve_draw
    s.balance = xp.where(paid[:, None], m.new_balance, s.balance)
    cash_paid = m.cash_before_service + reserve_draw.sum(axis=1) + proceeds - m.service
    cash_paid = xp.where(raises, zero, cash_paid)  # a raise covers the shortfall exactly: no cash is left
    s.cash = xp.where(paid, cash_paid, xp.where(m.was_alive, m.cash_before_service, s.cash))


def borrowing_base(firm, s, m):
    """A balance above b_j x its collateral is prepaid from cash, or the firm defaults (``m.base_breach``)."""
    p, xp, zero = firm.p, firm.xp, firm.dtype(0.0)
    base_breach = xp.zeros(firm.paths, bool)
    for j in range(firm.tranches):
        advance = p[L.TRANCHE_BORROWING_BASE + j]
        if advance <= 0:
            continue
        # Its pool's value, or for an unsecured tranche what no pool holds.
        unpledged = xp.maximum(m.value - m.pool_value.sum(axis=1), zero)
        collateral = m.pool_value[:, firm.tranche_pool[j]] if firm.tranche_pool[j] >= 0 else unpledged
        owed = s.balance[:, j]
        excess = owed - advance * collateral
        owes = m.paid & ~base_breach & (owed > 0) & (excess > 0)
        prepayment = xp.where(owes, xp.minimum(excess, xp.maximum(s.cash, zero)), zero)
        s.balance[:, j] = owed - prepayment
        s.cash = s.cash - prepayment
        m.prepaid = m.prepaid + prepayment
        base_breach |= owes & (prepayment < excess)  # later tranches are not tested
    m.base_breach = base_breach


def top_up_reserves(firm, s, m):
    """The reserves are topped up from cash to their target, or released to cash above it."""
    p, xp, zero = firm.p, firm.xp, firm.dtype(0.0)
    for q in range(firm.pools):
        target = p[L.POOL_RESERVE_MONTHS + q] * (m.pool_service[q] - m.pool_balloon[q])
        topped = xp.minimum(target, s.reserve[:, q] + xp.maximum(s.cash, zero))
        topped = xp.where(m.going & ~s.pool_defaulted[:, q], topped, s.reserve[:, q])
        s.cash = s.cash - (topped - s.reserve[:, q])
        s.reserve[:, q] = topped


def cash_sweep(firm, s, m):
    """The cash flow above the cover the firm keeps goes to its lenders."""
    p, xp, zero = firm.p, firm.xp, firm.dtype(0.0)
    for j in range(firm.tranches):
        sweep_share = p[L.TRANCHE_SWEEP + j]
        if sweep_share <= 0:
            continue
        above_cover = xp.maximum(m.ebitda - p[L.TRANCHE_SWEEP_DSCR + j] * m.scheduled_service, zero)
        owed = s.balance[:, j]
        sweep = xp.minimum(xp.minimum(sweep_share * above_cover, owed), xp.maximum(s.cash, zero))
        sweep = xp.where(m.going & (owed > 0), sweep, zero)
        s.balance[:, j] = owed - sweep
        s.cash = s.cash - sweep
        m.prepaid = m.prepaid + sweep


def manage_cash(firm, s, m):
    """After a paid month: the borrowing base, the reserves' top-up, then the cash sweep (``m.going``: no breach)."""
    m.prepaid = firm.full(0.0)
    borrowing_base(firm, s, m)
    m.going = m.paid & ~m.base_breach
    top_up_reserves(firm, s, m)
    cash_sweep(firm, s, m)


def settle_parent(firm, s, m):
    """At the parent's end (``m.ends``) every tranche still owed defaults: its pool's lenders first, then the estate.

    The estate (cash, what no pool holds at the fire-sale recovery, each pool's
    surplus, the going-concern surplus) pays the unsecured tranches and those of pools
    with recourse, by rank, and with [claims] the fixed charges' counterparties at
    theirs (``s.lease_claim``). Every pot is net of recovery costs, its GPUs valued at the sale.
    """
    p, xp, dtype = firm.p, firm.xp, firm.dtype
    zero = dtype(0.0)
    recovery_rate = p[L.FIRE_SALE_RECOVERY]  # 1 - fire-sale haircut
    net = p[L.RECOVERY_NET]
    values = sale_values(firm, s, m)
    ends, month = m.ends, m.month
    claims = xp.where(ends[:, None] & (s.balance > 0), s.balance, zero)
    in_default = claims > 0
    s.tranche_default_month = xp.where(in_default, month, s.tranche_default_month).astype(np.int32)
    s.tranche_ead = xp.where(in_default, claims, s.tranche_ead)
    for split in (s.tranche_recovery_gpus, s.tranche_recovery_contracts, s.tranche_recovery_enterprise):
        split[...] = xp.where(in_default, zero, split)
    recovered = xp.zeros((firm.paths, firm.tranches), dtype)
    gpus = xp.where(ends, unpledged_sale_value(firm, s, m, values) * recovery_rate * net, zero)
    contracts = firm.full(0.0)
    estate = xp.where(ends, xp.maximum(s.cash, zero) * net, zero) + gpus
    liquidation, reserves = estate, firm.full(0.0)
    for q in range(firm.pools):
        settling = ends & ~s.pool_defaulted[:, q]
        gpus_q = xp.where(settling, pool_sale_value(firm, m, values, q) * recovery_rate * net, zero)
        contracts_q = xp.where(settling, contract_gain(firm, s, m, values, q) * net, zero)
        assets = gpus_q + contracts_q + xp.where(settling, s.reserve[:, q] * net, zero)
        liquidation = liquidation + assets
        reserves = reserves + xp.where(settling, s.reserve[:, q], zero)
        shares = shares_of(firm, assets, gpus_q, contracts_q, zero)
        paid_q, left = share_by_rank(firm, claims, assets, firm.pool_tranches[q])
        book_sources(s, paid_q, firm.pool_tranches[q], ends, shares)
        recovered = recovered + paid_q
        claims = claims - paid_q
        estate = estate + left  # a pool's surplus joins the estate
        gpus, contracts = gpus + left * shares[0], contracts + left * shares[1]
    enterprise = xp.where(ends, enterprise_surplus(firm, s, m, reserves, liquidation / net) * net, zero)
    estate = estate + enterprise
    shares = shares_of(firm, estate, gpus, contracts, enterprise)
    if p[L.CLAIMS_ON] > 0:
        lease = xp.where(ends, s.lease_claim, zero)
        paid_estate, _, lease_paid = share_by_rank(firm, claims, estate, firm.recourse_tranches, lease)
        s.lease_recovery = xp.where(ends, lease_paid, s.lease_recovery)
    else:
        paid_estate, _ = share_by_rank(firm, claims, estate, firm.recourse_tranches)
    book_sources(s, paid_estate, firm.recourse_tranches, ends, shares)
    recovered = recovered + paid_estate
    s.tranche_recovery = xp.where(in_default, recovered, s.tranche_recovery)


def book_sources(s, payments, members, settling, shares):
    """Book the ``payments`` (paths x tranches) to ``members`` on the ``settling`` paths as from GPUs, contracts and
    enterprise value by the pot's ``shares`` (``recovery.shares_of``)."""
    splits = (s.tranche_recovery_gpus, s.tranche_recovery_contracts, s.tranche_recovery_enterprise)
    for j in members:
        for split, share in zip(splits, shares, strict=True):
            split[:, j] = split[:, j] + payments[:, j] * share * settling

"""The firm's response to stress on every path (``kernels/response.py``): selling unpledged GPUs when short."""

from ...kernels import layout as L
from .fleet import cohort_in_service


def unpledged_share(firm, s, m, c):
    """The share of cohort ``c`` the firm owns that no pool not in default holds (0 unless fully delivered)."""
    p, xp, zero = firm.p, firm.xp, firm.dtype(0.0)
    _, serving, delivered = cohort_in_service(firm, s, c, m.month)
    share = firm.dtype(1.0) - s.sold[:, c]
    for q in range(firm.pools):
        if (int(p[L.POOL_COHORTS + q]) >> c) & 1 == 1:
            share = share - xp.where(s.pool_defaulted[:, q], zero, p[L.POOL_SHARE + q])
    return xp.where(serving & (delivered >= 1), xp.maximum(share, zero), zero)


def sell_unpledged(firm, s, m):
    """Below the liquidity threshold after the month's service, sell a share f of each cohort's unpledged GPUs at
    the fire-sale value: cash before service and the collateral value ``m.value`` move; ``m.asset_sales``."""
    p, xp, dtype = firm.p, firm.xp, firm.dtype
    zero = dtype(0.0)
    m.asset_sales = firm.full(0.0)
    if p[L.RESPONSE_SELL_UNPLEDGED] <= 0:
        return
    needed = m.service + p[L.RESPONSE_LIQUIDITY] - m.cash_before_service
    shares = [unpledged_share(firm, s, m, c) for c in range(firm.cohort_count)]
    unpledged = firm.full(0.0)
    for c in range(firm.cohort_count):
        unpledged = unpledged + shares[c] * m.cohort_value[c]
    proceeds = unpledged * p[L.FIRE_SALE_RECOVERY]
    owes = s.balance.sum(axis=1) > 0  # with its revolvers' draws
    selling = m.was_alive & ~m.cross_default & owes & (needed > 0) & (proceeds > 0)
    sold = xp.where(selling, xp.minimum(needed / xp.where(proceeds > 0, proceeds, 1), dtype(1.0)), zero)
    for c in range(firm.cohort_count):
        s.sold[:, c] = s.sold[:, c] + sold * shares[c]
    m.asset_sales = sold * proceeds
    m.cash_before_service = m.cash_before_service + m.asset_sales
    m.value = m.value - sold * unpledged


def count_short_months(firm, s, m):
    """After a paid month: month-ends in a row with cash below RESPONSE_CUT_BELOW; the fixed-opex cut once there
    have been RESPONSE_CUT_LAG of them (``kernels/response.py``)."""
    p, xp = firm.p, firm.xp
    if p[L.RESPONSE_OPEX_CUT] <= 0 or p[L.RESPONSE_CUT_BELOW] <= 0:
        return
    short = s.cash < p[L.RESPONSE_CUT_BELOW]
    counted = xp.where(short, s.months_short + firm.dtype(1.0), firm.dtype(0.0))
    s.months_short = xp.where(m.paid, counted, s.months_short)
    s.opex_cut = s.opex_cut | (m.paid & (s.months_short >= p[L.RESPONSE_CUT_LAG]))

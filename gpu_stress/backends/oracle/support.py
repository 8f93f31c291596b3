"""Support from outside the lenders on every path (``kernels/support.py``): the capacity backstop and the vendor."""

from ...kernels import layout as L
from .obligors import obligor_defaulted


def support_counterparties(firm, s, m):
    """The backstop's counterparty and the vendor default in this month's regime, before the month's deliveries."""
    xp, zero = firm.xp, firm.dtype(0.0)
    was_alive = m.was_alive
    backstop_defaults = (m.u_backstop < m.by_regime(L.BACKSTOP_HAZARD)) | obligor_defaulted(firm, s, L.BACKSTOP_OBLIGOR)
    vendor_defaults = (m.u_vendor < m.by_regime(L.VENDOR_HAZARD)) | obligor_defaulted(firm, s, L.VENDOR_OBLIGOR)
    s.backstop_alive &= ~(was_alive & backstop_defaults)
    s.vendor_alive &= ~(was_alive & vendor_defaults)
    for j in firm.vendor_tranches:  # the vendor stopped financing: what it has not lent it never will
        s.undrawn[:, j] = xp.where(s.vendor_alive, s.undrawn[:, j], zero)


def backstop_payment(firm, s, m, unused_hours):
    """What the capacity backstop pays this month ($ per path): unused, uncontracted GPU-hours at its price, capped."""
    p, xp, zero = firm.p, firm.xp, firm.dtype(0.0)
    backstop = firm.full(0.0)
    if p[L.BACKSTOP_CAP] > 0 and p[L.BACKSTOP_START] <= m.month_number <= p[L.BACKSTOP_END]:
        # It buys the idle capacity at its price until its payments reach the cap (the last one cut to fit).
        buying = m.was_alive & s.backstop_alive
        bought = xp.maximum(xp.minimum(p[L.BACKSTOP_PRICE] * unused_hours, p[L.BACKSTOP_CAP] - s.backstop_paid), zero)
        backstop = xp.where(buying, bought, zero)
        s.backstop_paid = s.backstop_paid + backstop
    return backstop

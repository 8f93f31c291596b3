"""Equity on market value and convertible notes on every path (``kernels/equity.py``)."""

from ...kernels import layout as L
from .contracts import contracted_forward_ebitda
from .debt_service import annualized_ebitda


def market_equity(firm, s, m, cash, reserves, debt):
    """E at market value ($) per path: the regime's multiple of annualized trailing (or contracted forward)
    EBITDA, plus cash and reserves, less debt; at least 0."""
    if firm.p[L.EQUITY_FORWARD] > 0:
        ebitda = contracted_forward_ebitda(firm, s, m, -1)
    else:
        ebitda = annualized_ebitda(firm, s, m)
    enterprise = m.by_regime(L.EQUITY_MULTIPLE) * ebitda
    return firm.xp.maximum(enterprise + cash + reserves - debt, firm.dtype(0.0))


def equity_value(firm, s, m, cash, value, reserves, debt):
    """The equity an emergency raise is sized on ($): at market value with EQUITY_MARKET, else at book."""
    if firm.p[L.EQUITY_MARKET] > 0:
        return market_equity(firm, s, m, cash, reserves, debt)
    return cash + value + reserves - debt


def convert_notes(firm, s, m):
    """Convert the convertibles maturing this month whose conversion is in the money, and those the issuer calls
    (``m.converted``: $)."""
    p, xp, dtype = firm.p, firm.xp, firm.dtype
    zero = dtype(0.0)
    m.converted = firm.full(0.0)
    for j in firm.convertibles:
        price, maturity = p[L.TRANCHE_CONVERSION_PRICE + j], p[L.TRANCHE_MATURITY + j]
        call = p[L.TRANCHE_CALL_MONTH + j]
        at_maturity = m.month_number == maturity
        if not (at_maturity or 0 < call <= m.month_number < maturity):
            continue
        trigger = 1.0 if at_maturity else p[L.TRANCHE_CALL_TRIGGER + j]
        # A tranche refinanced into a new loan (its maturity moved) does not convert.
        due = m.was_alive & (s.balance[:, j] > zero) & (s.maturity[:, j] == maturity)
        shares = p[L.EQUITY_SHARES] / s.equity_share
        reserves = s.reserve.sum(axis=1)
        equity = market_equity(firm, s, m, m.cash_before_service, reserves, s.balance.sum(axis=1))
        converts = due & (equity > dtype(trigger) * price * shares)
        issued = s.balance[:, j] / price
        s.equity_share = xp.where(converts, s.equity_share * (shares / (shares + issued)), s.equity_share)
        m.converted = m.converted + xp.where(converts, s.balance[:, j], zero)
        s.balance[:, j] = xp.where(converts, zero, s.balance[:, j])

"""Equity on market value: what investors would pay for the firm's shares, and convertible notes that convert.

With EQUITY_MARKET the firm's equity is valued as a market would value it,

    E = max(m_regime x EBITDA_12 + cash + reserves - debt, 0),

m the regime's EV / EBITDA multiple (EQUITY_MULTIPLE) and EBITDA_12 the trailing
quarter's EBITDA annualized (``debt_service.annualized_ebitda``), or with
EQUITY_FORWARD the contracted forward EBITDA of the next twelve months
(``contracts.contracted_forward_ebitda``); otherwise at
book, E = cash + V + reserves - debt. An emergency raise has room max_raise x E
a year (``capital.raise_equity``).

A convertible tranche (TRANCHE_CONVERSION_PRICE > 0, not refinanced) converts
at its maturity, before the month's service, if the market value per share
E / n_t is above its conversion price: its balance becomes balance / price new
shares instead of a payment, and the holders of month 0 keep n_t / (n_t + new)
of what they owned; n_t = EQUITY_SHARES / EQUITY_SHARE, the shares of month 0
grown by every dilution since. Otherwise it is repaid or refinanced as any
tranche. From TRANCHE_CALL_MONTH (if not 0) until its maturity the issuer calls
it as soon as E / n_t is at least TRANCHE_CALL_TRIGGER x its conversion price (a
provisional redemption): the holders convert, shares being worth more than the
call's par. All money in $.
"""

from .contracts import contracted_forward_ebitda
from .debt_service import annualized_ebitda, total_debt
from .device import device_function
from .layout import (
    BALANCE,
    CONVERTED,
    EQUITY_FORWARD,
    EQUITY_MARKET,
    EQUITY_MULTIPLE,
    EQUITY_SHARE,
    EQUITY_SHARES,
    MATURITY,
    TRANCHE_CALL_MONTH,
    TRANCHE_CALL_TRIGGER,
    TRANCHE_CONVERSION_PRICE,
    TRANCHE_COUNT,
    TRANCHE_MATURITY,
)


@device_function
def market_equity(params, state, month, regime, cash, reserves, debt, dtype):
    """E at market value ($): the regime's multiple of annualized trailing (or contracted forward) EBITDA, plus
    cash and reserves, less debt; at least 0."""
    if params[EQUITY_FORWARD] > dtype(0.0):
        ebitda = contracted_forward_ebitda(params, state, month, -1, dtype)
    else:
        ebitda = annualized_ebitda(state, dtype)
    enterprise = params[EQUITY_MULTIPLE + regime] * ebitda
    return max(enterprise + cash + reserves - debt, dtype(0.0))


@device_function
def equity_value(params, state, month, regime, cash, value, reserves, debt, dtype):
    """The equity an emergency raise is sized on ($): at market value with EQUITY_MARKET, else at book."""
    if params[EQUITY_MARKET] > dtype(0.0):
        return market_equity(params, state, month, regime, cash, reserves, debt, dtype)
    return cash + value + reserves - debt


@device_function
def convert_notes(params, state, month, regime, cash, reserves, dtype):
    """Convert the convertible tranches maturing this month whose conversion is in the money, and those the issuer
    calls; returns the debt left ($). ``firm_step`` calls it, before the month's service, for a firm with a
    convertible."""
    month_number = dtype(month)
    for j in range(int(params[TRANCHE_COUNT])):
        price = params[TRANCHE_CONVERSION_PRICE + j]
        maturity = params[TRANCHE_MATURITY + j]
        call = params[TRANCHE_CALL_MONTH + j]
        at_maturity = month_number == maturity
        callable_now = call > dtype(0.0) and call <= month_number and month_number < maturity
        if price <= dtype(0.0) or state[BALANCE + j] <= dtype(0.0) or not (at_maturity or callable_now):
            continue
        if state[MATURITY + j] != maturity:
            continue  # refinanced into a new loan, which does not convert
        shares = params[EQUITY_SHARES] / state[EQUITY_SHARE]
        equity = market_equity(params, state, month, regime, cash, reserves, total_debt(state, dtype), dtype)
        trigger = dtype(1.0) if at_maturity else params[TRANCHE_CALL_TRIGGER + j]
        if equity <= trigger * price * shares:
            continue
        issued = state[BALANCE + j] / price
        state[EQUITY_SHARE] *= shares / (shares + issued)
        state[CONVERTED] += state[BALANCE + j]
        state[BALANCE + j] = dtype(0.0)
    return total_debt(state, dtype)

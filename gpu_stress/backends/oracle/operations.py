"""The month's operations on every path (``kernels/operations.py``): utilization and operating cash flow."""

from ...kernels import layout as L
from .contracts import contracted, fixed_charges
from .fleet import cohort_in_service, cohort_log_price
from .support import backstop_payment


def utilization_step(firm, s, m, e_price, e_rate, e_utilization):
    """The fleet's utilization this month (share), the firm's own logit-OU loading on the market's shocks."""
    p, xp, one = firm.p, firm.xp, firm.dtype(1.0)
    cholesky = p[L.CHOLESKY : L.CHOLESKY + 6]
    z_utilization = cholesky[3] * e_price + cholesky[4] * e_rate + cholesky[5] * e_utilization
    mean = m.by_regime(L.UTILIZATION_LOGIT_MEAN)
    s.utilization_logit = (
        mean + (s.utilization_logit - mean) * p[L.UTILIZATION_DECAY] + p[L.UTILIZATION_SHOCK] * z_utilization
    )
    return one / (one + xp.exp(-s.utilization_logit))


def operating_cash_flow(firm, s, m):
    """EBITDA of the month ($ per path), by cohort in service: contracted and spot revenue less power; less opex.

    Sets the month's statement lines (``m.revenue_contracted`` ...), each cohort's
    cash flow in full (``m.cohort_cash_flow``, what pools hold shares of; the firm
    counts the share it kept) and its GPUs in service in full (``m.in_service``,
    sold or not: what a pool's lenders sell).
    """
    p, xp, dtype = firm.p, firm.xp, firm.dtype
    zero, one = dtype(0.0), dtype(1.0)
    full, utilization = firm.full, m.utilization
    m.cohort_cash_flow = []
    revenue_contracted, revenue_spot, power, gpus = full(0.0), full(0.0), full(0.0), full(0.0)
    unused_hours = full(0.0)  # the firm's idle uncontracted GPU-hours, what the backstop buys
    m.in_service = []
    for c in range(firm.cohort_count):
        _, serving, delivered = cohort_in_service(firm, s, c, m.month)
        share, contract_rate = contracted(firm, s, m, c)
        kept = one - s.sold[:, c]
        gpus_c = p[L.COHORT_GPUS + c] * delivered
        hours = gpus_c * dtype(L.HOURS_PER_MONTH)
        spot_price = xp.exp(cohort_log_price(firm, s, c, m.log_price))
        contracted_c = hours * contract_rate
        spot_c = hours * (one - share) * utilization * spot_price
        busy = share + (one - share) * utilization
        power_c = p[L.COHORT_POWER_FULL + c] * delivered * (busy + (one - busy) * p[L.IDLE_POWER_FRACTION])
        revenue_contracted = revenue_contracted + xp.where(serving, contracted_c * kept, zero)
        revenue_spot = revenue_spot + xp.where(serving, spot_c * kept, zero)
        power = power + xp.where(serving, power_c * kept, zero)
        gpus = gpus + xp.where(serving, gpus_c * kept, zero)
        unused_hours = unused_hours + xp.where(serving, hours * kept * (one - share) * (one - utilization), zero)
        cash_flow_c = contracted_c + spot_c - power_c - gpus_c * p[L.OPEX_PER_GPU]
        m.cohort_cash_flow.append(xp.where(serving, cash_flow_c, zero))
        m.in_service.append(xp.where(serving, gpus_c, zero))
    backstop = backstop_payment(firm, s, m, unused_hours)
    m.opex_saved = xp.where(s.opex_cut, p[L.FIXED_OPEX] * p[L.RESPONSE_OPEX_CUT], firm.dtype(0.0))
    opex = p[L.OPEX_PER_GPU] * gpus + (p[L.FIXED_OPEX] - m.opex_saved)
    charges = fixed_charges(firm, m.month_number)
    m.revenue_contracted, m.revenue_spot, m.power, m.gpus = revenue_contracted, revenue_spot, power, gpus
    m.backstop, m.opex, m.charges = backstop, opex, charges
    return revenue_contracted + revenue_spot + backstop - power - opex - charges - m.penalties

"""The path model vectorized with numpy: the oracle the compiled kernels are checked against.

It is written independently of ``gpu_stress.kernels`` (whole arrays of paths,
masks instead of early exits) and shares only the array layout and the
random-number contract. docs/model.md states the model both follow.
"""

import numpy as np

from ..kernels import layout as L
from .numpy_random import box_muller, draw_block, to_uniform


def simulate_paths(params, horizon, seed, stream, path_start, paths, tracked, dtype):
    """Simulate ``paths`` paths from ``path_start``; same outputs as the kernels' launchers.

    Returns (outputs_float, outputs_int, tracks) shaped
    (FLOAT_OUTPUT_COUNT, paths), (INT_OUTPUT_COUNT, paths), (tracked, horizon, TRACK_COUNT).
    """
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return _simulate(np.asarray(params, dtype=dtype), horizon, seed, stream, path_start, paths, tracked, dtype)


def _ratio_ltv(debt, value, dtype):
    cap = dtype(L.RATIO_CAP)
    ltv = np.where(value * cap <= debt, cap, debt / value)
    return np.where(debt <= 0, dtype(0.0), ltv)


def _ratio_dscr(ebitda, service, dtype):
    cap = dtype(L.RATIO_CAP)
    return np.where(service <= 0, cap, np.clip(ebitda / service, -cap, cap))


def _simulate(p, horizon, seed, stream, path_start, paths, tracked, dtype):
    zero, one = dtype(0.0), dtype(1.0)
    path_ids = np.uint64(path_start) + np.arange(paths, dtype=np.uint64)
    customers = int(p[L.CUSTOMER_COUNT])
    tranches = int(p[L.TRANCHE_COUNT])

    regime = np.full(paths, int(p[L.REGIME_INITIAL]))
    log_price = np.full(paths, p[L.LOG_PRICE_INITIAL])
    utilization_logit = np.full(paths, p[L.UTILIZATION_LOGIT_INITIAL])
    rate = np.full(paths, p[L.RATE_INITIAL])

    cash = np.full(paths, p[L.CASH_INITIAL])
    breaches = np.zeros(paths, dtype)
    customer_alive = np.ones((paths, customers), bool)
    balance = np.tile(p[L.TRANCHE_PRINCIPAL + np.arange(tranches)], (paths, 1))
    floating = np.tile(p[L.TRANCHE_FLOATING + np.arange(tranches)] > 0, (paths, 1))
    coupon = np.tile(p[L.TRANCHE_RATE + np.arange(tranches)], (paths, 1))
    maturity = np.tile(p[L.TRANCHE_MATURITY + np.arange(tranches)], (paths, 1))
    amortization = [int(p[L.TRANCHE_AMORTIZATION + j]) for j in range(tranches)]
    ebitda_trailing = np.zeros((paths, L.TRAILING_MONTHS), dtype)
    service_trailing = np.zeros((paths, L.TRAILING_MONTHS), dtype)

    alive = np.ones(paths, bool)
    cause = np.zeros(paths, np.int32)
    default_month = np.full(paths, -1, np.int32)
    ead = np.zeros(paths, dtype)
    loss = np.zeros(paths, dtype)
    min_cash = cash.copy()
    max_ltv = np.zeros(paths, dtype)
    min_dscr = np.full(paths, dtype(L.RATIO_CAP))
    utilization_sum = np.zeros(paths, dtype)
    months_alive = np.zeros(paths, np.int64)
    discount = np.ones(paths, dtype)
    final_log_price = log_price.copy()
    tracks = np.zeros((tracked, horizon, L.TRACK_COUNT), dtype)

    cholesky = p[L.CHOLESKY : L.CHOLESKY + 6]
    for month in range(1, horizon + 1):
        was_alive = alive.copy()
        # --- market ---
        b0, b1, b2, b3 = draw_block(seed, stream, path_ids, month, L.BLOCK_NORMALS)
        e0, e1 = box_muller(b0, b1, dtype)
        e2, _ = box_muller(b2, b3, dtype)
        u0, u1, u2, u3 = draw_block(seed, stream, path_ids, month, L.BLOCK_UNIFORMS)
        u_jump, u_regime = to_uniform(u0, dtype), to_uniform(u1, dtype)
        customer_draws = [to_uniform(u2, dtype), to_uniform(u3, dtype)]
        if customers > 2:
            v0, v1, _, _ = draw_block(seed, stream, path_ids, month, L.BLOCK_MORE_CUSTOMERS)
            customer_draws += [to_uniform(v0, dtype), to_uniform(v1, dtype)]

        switch = u_regime < p[L.SWITCH_PROBABILITY + regime]
        regime = np.where(switch, 1 - regime, regime)
        z_price = cholesky[0] * e0
        z_utilization = cholesky[1] * e0 + cholesky[2] * e1
        z_rate = cholesky[3] * e0 + cholesky[4] * e1 + cholesky[5] * e2
        log_price = log_price + p[L.LOG_DRIFT + regime] + p[L.LOG_VOLATILITY + regime] * z_price
        log_price = np.where(u_jump < p[L.JUMP_PROBABILITY], log_price + p[L.LOG_JUMP], log_price)
        if p[L.FLOOR_ENABLED] > 0:
            log_price = np.maximum(log_price, p[L.LOG_PRICE_FLOOR])
        mean = p[L.UTILIZATION_LOGIT_MEAN + regime]
        utilization_logit = (
            mean + (utilization_logit - mean) * p[L.UTILIZATION_DECAY] + p[L.UTILIZATION_SHOCK] * z_utilization
        )
        rate = p[L.RATE_MEAN] + (rate - p[L.RATE_MEAN]) * p[L.RATE_DECAY] + p[L.RATE_SHOCK] * z_rate
        utilization = one / (one + np.exp(-utilization_logit))
        price = np.exp(log_price)

        # --- firm: operating cash flow ---
        month_number = dtype(month)
        age = p[L.AGE_INITIAL] + month_number
        active = age <= p[L.USEFUL_LIFE]
        if active:
            exponent = p[L.PRICE_ELASTICITY] * (log_price - p[L.LOG_PRICE_INITIAL]) + p[L.LOG_AGE_DECAY] * age
            value = p[L.FLEET_COST] * np.exp(exponent)
        else:
            value = np.zeros(paths, dtype)
        contracted_share = np.zeros(paths, dtype)
        contracted_rate = np.zeros(paths, dtype)
        for i in range(customers):
            in_term = customer_alive[:, i] & (month_number <= p[L.CUSTOMER_END + i])
            defaults_now = in_term & (customer_draws[i] < p[L.CUSTOMER_HAZARD + i])
            customer_alive[:, i] &= ~(defaults_now & was_alive)
            paying = in_term & ~defaults_now
            contracted_share += np.where(paying, p[L.CUSTOMER_SHARE + i], zero)
            contracted_rate += np.where(paying, p[L.CUSTOMER_SHARE + i] * p[L.CUSTOMER_PRICE + i], zero)
        if active:
            spot_share = one - contracted_share
            revenue = p[L.FLEET_HOURS] * (contracted_rate + spot_share * utilization * price)
            busy = contracted_share + spot_share * utilization
            power = p[L.POWER_COST_FULL] * (busy + (one - busy) * p[L.IDLE_POWER_FRACTION])
            ebitda = revenue - power - p[L.FLEET_OPEX] - p[L.FIXED_OPEX]
        else:
            ebitda = np.full(paths, -p[L.FIXED_OPEX])
        cash_before_service = cash + ebitda
        debt = balance.sum(axis=1) if tranches else np.zeros(paths, dtype)
        ltv_before = _ratio_ltv(debt, value, dtype)

        # --- firm: debt service ---
        base_rate = np.maximum(rate, p[L.RATE_FLOOR])
        open_market = p[L.REFINANCING_OPEN + regime] > 0
        can_refinance = (p[L.REFINANCING_ENABLED] > 0) & open_market & (ltv_before <= p[L.REFINANCING_MAX_LTV])
        service = np.zeros(paths, dtype)
        balloon = np.zeros(paths, dtype)
        new_balance = balance.copy()
        for j in range(tranches):
            owed = balance[:, j]
            outstanding = owed > 0
            monthly_rate = (coupon[:, j] + np.where(floating[:, j], base_rate, zero)) / dtype(12.0)
            interest = owed * monthly_rate
            payments_left = maturity[:, j] - month_number + one
            due_now = payments_left <= one
            if amortization[j] == L.LINEAR:
                principal = owed / payments_left
            elif amortization[j] == L.ANNUITY:
                annuity_factor = one - np.exp(-payments_left * np.log1p(monthly_rate))
                principal = np.where(
                    monthly_rate > 0, owed * monthly_rate / annuity_factor - interest, owed / payments_left
                )
            else:
                principal = np.zeros(paths, dtype)
            principal = np.where(due_now, owed, principal)
            if amortization[j] == L.BULLET:
                refinanced = outstanding & due_now & can_refinance
                balloon += np.where(outstanding & due_now & ~can_refinance, owed, zero)
                principal = np.where(refinanced, zero, principal)
                commit = refinanced & was_alive
                floating[:, j] |= commit
                coupon[:, j] = np.where(commit, p[L.REFINANCING_SPREAD + regime], coupon[:, j])
                maturity[:, j] = np.where(commit, month_number + p[L.REFINANCING_TERM], maturity[:, j])
            principal = np.where(outstanding, principal, zero)
            interest = np.where(outstanding, interest, zero)
            new_balance[:, j] = owed - principal
            service += interest + principal

        slot = month % L.TRAILING_MONTHS
        ebitda_trailing[was_alive, slot] = ebitda[was_alive]
        service_trailing[was_alive, slot] = service[was_alive]
        dscr = _ratio_dscr(ebitda_trailing.sum(axis=1), service_trailing.sum(axis=1), dtype)
        recoverable = value * p[L.FIRE_SALE_RECOVERY]

        unpaid = was_alive & (cash_before_service < service)
        refinancing_failure = (balloon > 0) & (cash_before_service >= service - balloon)
        cause[unpaid] = np.where(refinancing_failure, L.REFINANCING, L.LIQUIDITY)[unpaid]
        recovery = np.minimum(debt, np.maximum(cash_before_service, zero) + recoverable)
        ead[unpaid] = debt[unpaid]
        loss[unpaid] = (debt - recovery)[unpaid]

        paid = was_alive & ~unpaid
        balance[paid] = new_balance[paid]
        cash = np.where(paid, cash_before_service - service, np.where(unpaid, cash_before_service, cash))
        debt_after = balance.sum(axis=1) if tranches else np.zeros(paths, dtype)
        ltv = np.where(unpaid, ltv_before, _ratio_ltv(debt_after, value, dtype))

        # --- covenants ---
        covenant_default = np.zeros(paths, bool)
        if month % int(p[L.TEST_EVERY]) == 0:
            ltv_breach = (p[L.LTV_MAX] > 0) & (ltv > p[L.LTV_MAX])
            dscr_breach = (p[L.DSCR_MIN] > 0) & (service_trailing.sum(axis=1) > 0) & (dscr < p[L.DSCR_MIN])
            breach = paid & (ltv_breach | dscr_breach)
            breaches = np.where(breach, breaches + one, np.where(paid, zero, breaches))
            covenant_default = breach & (breaches > p[L.CURE_TESTS])
            cause[covenant_default] = np.where(ltv_breach, L.LTV_BREACH, L.DSCR_BREACH)[covenant_default]
            recovery = np.minimum(debt_after, np.maximum(cash, zero) + recoverable)
            ead[covenant_default] = debt_after[covenant_default]
            loss[covenant_default] = (debt_after - recovery)[covenant_default]

        # --- statistics of the paths that lived through this month's start ---
        discount = np.where(was_alive, discount * np.exp(-rate / dtype(12.0)), discount)
        utilization_sum = np.where(was_alive, utilization_sum + utilization, utilization_sum)
        months_alive += was_alive
        final_log_price = np.where(was_alive, log_price, final_log_price)
        min_cash = np.where(was_alive, np.minimum(min_cash, cash), min_cash)
        max_ltv = np.where(was_alive, np.maximum(max_ltv, ltv), max_ltv)
        min_dscr = np.where(was_alive, np.minimum(min_dscr, dscr), min_dscr)
        defaulted_now = unpaid | covenant_default
        default_month[defaulted_now] = month
        alive = was_alive & ~defaulted_now

        if tracked:
            rows = slice(0, tracked)
            step = tracks[:, month - 1]
            step[:, L.TRACK_PRICE] = price[rows]
            step[:, L.TRACK_UTILIZATION] = utilization[rows]
            step[:, L.TRACK_RATE] = rate[rows]
            step[:, L.TRACK_GLUT] = regime[rows]
            step[:, L.TRACK_CASH] = np.where(alive[rows], cash[rows], np.nan)
            step[:, L.TRACK_LTV] = np.where(alive[rows], ltv[rows], np.nan)
        elif not alive.any():
            break

    age = p[L.AGE_INITIAL] + dtype(horizon)
    if age <= p[L.USEFUL_LIFE]:
        exponent = p[L.PRICE_ELASTICITY] * (log_price - p[L.LOG_PRICE_INITIAL]) + p[L.LOG_AGE_DECAY] * age
        value = p[L.FLEET_COST] * np.exp(exponent)
    else:
        value = np.zeros(paths, dtype)
    debt = balance.sum(axis=1) if tranches else np.zeros(paths, dtype)
    equity = np.where(alive, discount * np.maximum(cash + value - debt, zero), zero)

    outputs_float = np.empty((L.FLOAT_OUTPUT_COUNT, paths), dtype)
    outputs_float[L.OUT_EAD] = ead
    outputs_float[L.OUT_LOSS] = loss
    outputs_float[L.OUT_FINAL_PRICE] = np.exp(final_log_price)
    outputs_float[L.OUT_FINAL_CASH] = cash
    outputs_float[L.OUT_MIN_CASH] = min_cash
    outputs_float[L.OUT_MAX_LTV] = max_ltv
    outputs_float[L.OUT_MIN_DSCR] = min_dscr
    outputs_float[L.OUT_MEAN_UTILIZATION] = utilization_sum / months_alive.astype(dtype)
    outputs_float[L.OUT_EQUITY_VALUE] = equity
    outputs_int = np.empty((L.INT_OUTPUT_COUNT, paths), np.int32)
    outputs_int[L.OUT_DEFAULT_MONTH] = default_month
    outputs_int[L.OUT_DEFAULT_CAUSE] = cause
    return outputs_float, outputs_int, tracks

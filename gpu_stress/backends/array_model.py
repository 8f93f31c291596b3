"""The path model as array code, one month at a time over all paths (numpy or CuPy).

Two uses, one implementation:

- with numpy and the Philox draws of ``numpy_random`` it is the **numpy
  backend**, the oracle the compiled kernels are checked against. It is written
  independently of ``gpu_stress.kernels`` (whole arrays, masks instead of early
  exits) and shares only the array layout and the random-number contract;
- with a library generator (NumPy's, or CuPy's on a GPU) it is the **naive
  baseline** of the benchmarks: the model as a user would write it in array code.

docs/model.md states the model both follow.
"""

import numpy as np

from ..kernels import layout as L
from . import numpy_random


def philox_draws(seed, stream, path_start, paths, params, dtype):
    """Draws of the random-number contract: ``draws(month)`` -> (normals, uniforms, renewals, slips).

    normals = (e_price, e_utilization, e_rate) and uniforms = (u_jump, u_regime,
    u_customer0..3): the market's block gives e_price, e_rate, u_jump and
    u_regime; the firm's (entity 1) gives e_utilization and the customers'
    uniforms. renewals (one per contract) and slips (one per cohort) come from
    the firm's renewal and slip blocks, drawn only for a firm that can use them
    (else ones, which trigger nothing).
    """
    path_ids = np.uint64(path_start) + np.arange(paths, dtype=np.uint64)
    firm_blocks = L.BLOCKS_PER_ENTITY * 1  # firm 0 is entity 1
    customers = int(params[L.CUSTOMER_COUNT])
    renewal_probabilities = [
        params[L.CUSTOMER_RENEWAL + L.MAX_CUSTOMERS * r + i] for r in (0, 1) for i in range(customers)
    ]
    renewals = sum(renewal_probabilities) > 0
    slips = params[L.SLIP_PROBABILITY] + params[L.SLIP_PROBABILITY + 1] > 0

    def firm_uniforms(month, block, wanted):
        if not wanted:
            return [np.ones(paths, dtype)] * 4
        words = numpy_random.draw_block(seed, stream, path_ids, month, firm_blocks + block)
        return [numpy_random.to_uniform(word, dtype) for word in words]

    def draws(month):
        m0, m1, m2, m3 = numpy_random.draw_block(seed, stream, path_ids, month, L.MARKET_BLOCK)
        e_price, e_rate = numpy_random.box_muller(m0, m1, dtype)
        f0, f1, f2, f3 = numpy_random.draw_block(seed, stream, path_ids, month, firm_blocks + L.FIRM_BLOCK)
        e_utilization, _ = numpy_random.box_muller(f0, f1, dtype)
        uniforms = [numpy_random.to_uniform(word, dtype) for word in (m2, m3, f2, f3)]
        if customers > 2:
            block = firm_blocks + L.FIRM_MORE_CUSTOMERS_BLOCK
            more = numpy_random.draw_block(seed, stream, path_ids, month, block)[:2]
            uniforms += [numpy_random.to_uniform(word, dtype) for word in more]
        else:
            uniforms += [np.ones(paths, dtype)] * 2
        renewal_uniforms = firm_uniforms(month, L.FIRM_RENEWAL_BLOCK, renewals)
        slip_uniforms = firm_uniforms(month, L.FIRM_SLIP_BLOCK, slips)
        return (e_price, e_utilization, e_rate), uniforms, renewal_uniforms, slip_uniforms

    return draws


def library_draws(generator, paths, dtype):
    """Draws from a NumPy or CuPy ``Generator``: same shapes, not the Philox contract."""

    def draws(month):
        normals = generator.standard_normal((3, paths), dtype=dtype)
        uniforms = generator.random((14, paths), dtype=dtype)
        return tuple(normals), list(uniforms[:6]), list(uniforms[6:10]), list(uniforms[10:])

    return draws


def simulate_paths(params, horizon, paths, tracked, dtype, draws, xp=np, statement_row=-1):
    """Simulate ``paths`` paths with ``draws``; outputs laid out as the kernels' launchers write them.

    Returns (outputs_float, outputs_int, tracks, statement) as ``xp`` arrays shaped
    (FLOAT_OUTPUT_COUNT, paths), (INT_OUTPUT_COUNT, paths), (tracked, horizon, TRACK_COUNT)
    and, for path ``statement_row`` (-1: none), its monthly statement (horizon, STATEMENT_COUNT).
    """
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return _simulate(np.asarray(params, dtype=dtype), horizon, paths, tracked, dtype, draws, xp, statement_row)


def _simulate(p, horizon, paths, tracked, dtype, draws, xp, statement_row):
    zero, one = dtype(0.0), dtype(1.0)
    cap = dtype(L.RATIO_CAP)
    customers = int(p[L.CUSTOMER_COUNT])
    tranches = int(p[L.TRANCHE_COUNT])

    def full(value, kind=dtype):
        return xp.full(paths, value, dtype=kind)

    def by_regime(index):
        """Parameter ``index`` (shortage) or ``index + 1`` (glut) for every path."""
        return xp.where(regime == 1, p[index + 1], p[index])

    def loan_to_value(debt, value):
        return xp.where(debt <= 0, zero, xp.where(value * cap <= debt, cap, debt / value))

    cohort_count = int(p[L.COHORT_COUNT])

    def cohort_age(c, month):
        """Months since cohort c's first tranche on every path, whether it is in service, and the share delivered."""
        age = dtype(month) - delivery[:, c]
        parts = p[L.COHORT_DELIVERY_MONTHS + c]  # monthly delivery tranches
        return age, (age >= 0) & (age <= p[L.COHORT_USEFUL_LIFE + c]), xp.minimum(age + one, parts) / parts

    def cohort_log_price(c):
        """ln of the price cohort c's generation earns: a ratio of the market's, uncut by launches before delivery."""
        value = log_price + p[L.COHORT_LOG_PRICE_RATIO + c] - launch_credit[:, c] * p[L.LOG_JUMP]
        return xp.maximum(value, p[L.LOG_PRICE_FLOOR]) if p[L.FLOOR_ENABLED] > 0 else value

    def fleet_value(month, price_surprise):
        """Collateral value: each cohort in service at cost x residual(age) x (P / planned P)^elasticity."""
        value = full(0.0)
        for c in range(cohort_count):
            age, serving, delivered = cohort_age(c, month)
            exponent = p[L.PRICE_ELASTICITY] * price_surprise + p[L.COHORT_LOG_DECAY + c] * age
            value = value + xp.where(serving, p[L.COHORT_COST + c] * delivered * xp.exp(exponent), zero)
        return value

    def fixed_charges(month):
        """Leases and power contracts due this month, each escalating from its first month."""
        total = zero
        for k in range(int(p[L.OBLIGATION_COUNT])):
            start = p[L.OBLIGATION_START + k]
            if start <= month <= p[L.OBLIGATION_END + k]:
                total = total + p[L.OBLIGATION_AMOUNT + k] * np.exp(
                    p[L.OBLIGATION_LOG_ESCALATION + k] * (month - start)
                )
        return total

    def by_regime_of(index, offset):
        """Parameter ``index`` + ``offset`` in shortage, or ``offset`` blocks of MAX_CUSTOMERS further in glut."""
        return xp.where(regime == 1, p[index + L.MAX_CUSTOMERS + offset], p[index + offset])

    def recovery(debt, cash, value):
        """What lenders recover at default: cash on hand and the fleet at the fire-sale haircut, at most EAD."""
        return xp.minimum(debt, xp.maximum(cash, zero) + value * p[L.FIRE_SALE_RECOVERY])

    def tranche_values(index):
        return xp.tile(xp.asarray(p[index : index + tranches]), (paths, 1))

    regime = full(int(p[L.REGIME_INITIAL]), xp.int64)
    log_price = full(p[L.LOG_PRICE_INITIAL])
    planned_log_price = full(p[L.LOG_PRICE_INITIAL])  # the path collateral is valued against
    utilization_logit = full(p[L.UTILIZATION_LOGIT_INITIAL])
    rate = full(p[L.RATE_INITIAL])

    cash = full(p[L.CASH_INITIAL])
    breaches = full(0.0)
    launches = full(0.0)
    delivery = xp.tile(
        xp.asarray([p[L.COHORT_FIXED_DELAY + c] - p[L.COHORT_AGE_INITIAL + c] for c in range(cohort_count)], dtype),
        (paths, 1),
    )
    launch_credit = xp.zeros((paths, cohort_count), dtype)
    customer_alive = xp.ones((paths, customers), bool)
    customer_cohort = [int(p[L.CUSTOMER_COHORT + i]) for i in range(customers)]
    contract_price = xp.tile(xp.asarray(p[L.CUSTOMER_PRICE : L.CUSTOMER_PRICE + customers]), (paths, 1))
    contract_end = (
        xp.stack(
            [
                delivery[:, c] + p[L.CUSTOMER_TERM + i] - one
                if p[L.CUSTOMER_END + i] < 0
                else full(p[L.CUSTOMER_END + i])
                for i, c in enumerate(customer_cohort)
            ],
            axis=1,
        )
        if customers
        else xp.zeros((paths, 0), dtype)
    )
    balance = tranche_values(L.TRANCHE_PRINCIPAL)
    undrawn = tranche_values(L.TRANCHE_COMMITMENT)
    floating = tranche_values(L.TRANCHE_FLOATING) > 0
    coupon = tranche_values(L.TRANCHE_RATE)
    maturity = tranche_values(L.TRANCHE_MATURITY)
    amortization = [int(p[L.TRANCHE_AMORTIZATION + j]) for j in range(tranches)]
    ebitda_trailing = xp.zeros((paths, L.TRAILING_MONTHS), dtype)
    service_trailing = xp.zeros((paths, L.TRAILING_MONTHS), dtype)

    alive = xp.ones(paths, bool)
    cause = full(L.NO_DEFAULT, np.int32)
    default_month = full(-1, np.int32)
    ead, loss = full(0.0), full(0.0)
    min_cash, max_ltv, min_dscr = cash.copy(), full(0.0), full(cap)
    utilization_sum, discount = full(0.0), full(1.0)
    months_alive = full(0, np.int64)
    final_log_price = log_price.copy()
    tracks = xp.zeros((tracked, horizon, L.TRACK_COUNT), dtype)
    statement = xp.full((horizon if statement_row >= 0 else 0, L.STATEMENT_COUNT), np.nan, dtype)
    cholesky = p[L.CHOLESKY : L.CHOLESKY + 6]

    for month in range(1, horizon + 1):
        was_alive = alive.copy()
        (e0, e1, e2), (u_jump, u_regime, *customer_draws), renewal_draws, slip_draws = draws(month)
        if p[L.BASE_CASE] > 0:  # the plan: no shock, and a uniform of 1 is below no probability
            e0 = e1 = e2 = full(0.0)
            u_jump = u_regime = full(1.0)
            customer_draws = [full(1.0)] * len(customer_draws)
            renewal_draws = [full(1.0)] * len(renewal_draws)
            slip_draws = [full(1.0)] * len(slip_draws)

        # --- market ---
        regime = xp.where(u_regime < by_regime(L.SWITCH_PROBABILITY), 1 - regime, regime)
        # (price, rate) from the market's normals e0, e2; utilization loads on them and on the firm's e1.
        z_price = cholesky[0] * e0
        z_rate = cholesky[1] * e0 + cholesky[2] * e2
        z_utilization = cholesky[3] * e0 + cholesky[4] * e2 + cholesky[5] * e1
        log_price = log_price + by_regime(L.LOG_DRIFT) + by_regime(L.LOG_VOLATILITY) * z_price
        launched = u_jump < p[L.JUMP_PROBABILITY]
        log_price = xp.where(launched, log_price + p[L.LOG_JUMP], log_price)
        launches = launches + launched
        planned_log_price = planned_log_price + p[L.REFERENCE_LOG_DRIFT]
        if p[L.FLOOR_ENABLED] > 0:
            log_price = xp.maximum(log_price, p[L.LOG_PRICE_FLOOR])
            planned_log_price = xp.maximum(planned_log_price, p[L.LOG_PRICE_FLOOR])
        mean = by_regime(L.UTILIZATION_LOGIT_MEAN)
        utilization_logit = (
            mean + (utilization_logit - mean) * p[L.UTILIZATION_DECAY] + p[L.UTILIZATION_SHOCK] * z_utilization
        )
        rate = p[L.RATE_MEAN] + (rate - p[L.RATE_MEAN]) * p[L.RATE_DECAY] + p[L.RATE_SHOCK] * z_rate
        utilization = one / (one + xp.exp(-utilization_logit))
        price = xp.exp(log_price)

        month_number = dtype(month)

        # --- deliveries ---
        capex, drawn = full(0.0), full(0.0)
        for c in range(cohort_count):
            if p[L.COHORT_DEPOSIT_MONTH + c] == month_number:
                capex = capex + xp.where(was_alive, p[L.COHORT_DEPOSIT + c], zero)
            due = was_alive & (delivery[:, c] == month_number)
            planned = p[L.COHORT_FIXED_DELAY + c] - p[L.COHORT_AGE_INITIAL + c]
            slip = due & (p[L.COHORT_SLIPS + c] > 0) & (month_number - planned < p[L.DELAY_MAX])
            slip &= slip_draws[c] < by_regime(L.SLIP_PROBABILITY)
            delivery[:, c] += slip
            for i in range(customers):  # a first term from delivery starts later
                if customer_cohort[i] == c and p[L.CUSTOMER_END + i] < 0:
                    contract_end[:, i] += slip
            parts = p[L.COHORT_DELIVERY_MONTHS + c]
            part = month_number - delivery[:, c]  # its monthly delivery tranches: 0, 1, ...
            arrives = was_alive & ~slip & (part >= 0) & (part < parts) & (part <= p[L.COHORT_USEFUL_LIFE + c])
            cost = p[L.COHORT_COST + c] / parts
            capex = capex + xp.where(arrives, cost - p[L.COHORT_DEPOSIT + c] / parts, zero)
            if p[L.COHORT_NEWEST + c] > 0:
                launch_credit[:, c] = xp.where(arrives & (part == 0), launches, launch_credit[:, c])
            funded = full(0.0)
            for j in range(tranches):
                if month_number > p[L.TRANCHE_DRAW_END + j] or (int(p[L.TRANCHE_FUNDS + j]) >> c) & 1 == 0:
                    continue
                draw = xp.minimum(p[L.TRANCHE_ADVANCE_RATE + j] * cost - funded, undrawn[:, j])
                draw = xp.where(arrives & (draw > 0), draw, zero)
                undrawn[:, j] -= draw
                balance[:, j] += draw
                funded = funded + draw
            drawn = drawn + funded

        # --- contracts ---
        penalties = full(0.0)
        for i, c in enumerate(customer_cohort):
            active = customer_alive[:, i] & was_alive
            if c >= 0:
                waiting = active & (month_number < delivery[:, c])
                ended = waiting & (month_number > contract_end[:, i])  # its first term ran out before its cohort
                customer_alive[:, i] &= ~ended
                active &= ~ended
                waiting &= ~ended
                if month_number + p[L.COHORT_AGE_INITIAL + c] + one > p[L.CUSTOMER_DELAY_LIMIT + i]:
                    if p[L.CUSTOMER_TERMINATES + i] > 0:
                        customer_alive[:, i] &= ~waiting
                    else:
                        gpu_hours = p[L.CUSTOMER_SHARE + i] * p[L.COHORT_GPUS + c] * dtype(L.HOURS_PER_MONTH)
                        value = p[L.CUSTOMER_DELAY_PENALTY + i] * gpu_hours * contract_price[:, i]
                        penalties = penalties + xp.where(waiting, value, zero)
                active &= ~waiting
            expired = active & (month_number > contract_end[:, i])
            renews = expired & (renewal_draws[i] < by_regime_of(L.CUSTOMER_RENEWAL, i))
            contract_end[:, i] += xp.where(renews, p[L.CUSTOMER_TERM + i], zero)
            spot = log_price if c < 0 else cohort_log_price(c)
            renewed_price = xp.exp(spot) * (one - p[L.CUSTOMER_RENEWAL_DISCOUNT + i])
            contract_price[:, i] = xp.where(renews, renewed_price, contract_price[:, i])
            lapses = expired & ~renews  # its capacity goes back to the spot market
            customer_alive[:, i] &= ~lapses
            defaults_now = active & ~lapses & (customer_draws[i] < by_regime_of(L.CUSTOMER_HAZARD, i))
            customer_alive[:, i] &= ~defaults_now

        # --- operating_cash_flow, by cohort in service ---
        value = fleet_value(month, log_price - planned_log_price)
        revenue_contracted, revenue_spot, power, gpus = full(0.0), full(0.0), full(0.0), full(0.0)
        for c in range(cohort_count):
            _, serving, delivered = cohort_age(c, month)
            share, contract_rate = full(0.0), full(0.0)
            for i, covers in enumerate(customer_cohort):
                if covers >= 0 and covers != c:
                    continue
                paying = customer_alive[:, i]
                if covers >= 0:
                    paying = paying & (month_number >= delivery[:, covers])
                take_or_pay = p[L.CUSTOMER_TAKE_OR_PAY + i]
                paid = take_or_pay + (one - take_or_pay) * utilization
                share = share + xp.where(paying, p[L.CUSTOMER_SHARE + i], zero)
                contract_rate = contract_rate + xp.where(
                    paying, p[L.CUSTOMER_SHARE + i] * contract_price[:, i] * paid, zero
                )
            hours = p[L.COHORT_GPUS + c] * delivered * dtype(L.HOURS_PER_MONTH)
            spot_price = xp.exp(cohort_log_price(c))
            revenue_contracted = revenue_contracted + xp.where(serving, hours * contract_rate, zero)
            revenue_spot = revenue_spot + xp.where(serving, hours * (one - share) * utilization * spot_price, zero)
            busy = share + (one - share) * utilization
            power_c = p[L.COHORT_POWER_FULL + c] * delivered * (busy + (one - busy) * p[L.IDLE_POWER_FRACTION])
            power = power + xp.where(serving, power_c, zero)
            gpus = gpus + xp.where(serving, p[L.COHORT_GPUS + c] * delivered, zero)
        opex = p[L.OPEX_PER_GPU] * gpus + p[L.FIXED_OPEX]
        charges = fixed_charges(month_number)
        ebitda = revenue_contracted + revenue_spot - power - opex - charges - penalties
        cash_before_service = cash + ebitda - capex + drawn
        debt = balance.sum(axis=1)
        ltv_before = loan_to_value(debt, value)

        # --- debt_service ---
        base_rate = xp.maximum(rate, p[L.RATE_FLOOR])
        can_refinance = (
            (p[L.REFINANCING_ENABLED] > 0)
            & (by_regime(L.REFINANCING_OPEN) > 0)
            & (ltv_before <= p[L.REFINANCING_MAX_LTV])
        )
        service, balloon, refinanced_now = full(0.0), full(0.0), full(0.0)
        interest_by_tranche, principal_by_tranche = [], []
        new_balance = balance.copy()
        for j in range(tranches):
            in_window = month_number <= p[L.TRANCHE_DRAW_END + j]
            fee = undrawn[:, j] * p[L.TRANCHE_UNDRAWN_FEE + j] / dtype(12.0) if in_window else full(0.0)
            if not in_window:
                undrawn[:, j] = zero  # the commitment lapses at the end of the draw window
            service = service + fee
            owed = balance[:, j]
            outstanding = owed > 0
            monthly_rate = (coupon[:, j] + xp.where(floating[:, j], base_rate, zero)) / dtype(12.0)
            interest = owed * monthly_rate
            payments_left = maturity[:, j] - month_number + one
            due_now = payments_left <= one
            if in_window:
                principal = full(0.0)  # interest only while it can draw
            elif amortization[j] == L.LINEAR:
                principal = owed / payments_left
            elif amortization[j] == L.ANNUITY:
                annuity_factor = -xp.expm1(-payments_left * xp.log1p(monthly_rate))
                level = xp.where(monthly_rate != 0, owed * monthly_rate / annuity_factor, owed / payments_left)
                principal = level - interest
            else:
                principal = full(0.0)
            principal = xp.where(due_now, owed, principal)
            if amortization[j] == L.BULLET:
                refinanced = outstanding & due_now & can_refinance
                balloon += xp.where(outstanding & due_now & ~can_refinance, owed, zero)
                principal = xp.where(refinanced, zero, principal)
                refinanced_now = refinanced_now + xp.where(refinanced, owed, zero)
                commit = refinanced & was_alive
                floating[:, j] |= commit
                coupon[:, j] = xp.where(commit, by_regime(L.REFINANCING_SPREAD), coupon[:, j])
                maturity[:, j] = xp.where(commit, month_number + p[L.REFINANCING_TERM], maturity[:, j])
            principal = xp.where(outstanding, principal, zero)
            interest = xp.where(outstanding, interest, zero)
            new_balance[:, j] = owed - principal
            interest_by_tranche.append(fee + interest)
            principal_by_tranche.append(principal)
            service += interest + principal

        # --- trailing_coverage ---
        slot = month % L.TRAILING_MONTHS
        # A fixed-charge cover: leases and power contracts on both sides (none: EBITDA / service).
        ebitda_trailing[:, slot] = xp.where(was_alive, ebitda + charges, ebitda_trailing[:, slot])
        service_trailing[:, slot] = xp.where(was_alive, service - balloon + charges, service_trailing[:, slot])
        service_quarter = service_trailing.sum(axis=1)
        dscr = xp.where(service_quarter <= 0, cap, xp.clip(ebitda_trailing.sum(axis=1) / service_quarter, -cap, cap))

        # --- liquidity_test ---
        unpaid = was_alive & (cash_before_service < service)
        refinancing_failure = (balloon > 0) & (cash_before_service >= service - balloon)
        unpaid_cause = xp.where(refinancing_failure, L.REFINANCING, L.LIQUIDITY)
        unpaid_cause = xp.where(debt > 0, unpaid_cause, L.INSOLVENT_NO_DEBT)  # no debt: no credit default
        cause = xp.where(unpaid, unpaid_cause, cause).astype(np.int32)
        ead = xp.where(unpaid, debt, ead)
        loss = xp.where(unpaid, debt - recovery(debt, cash_before_service, value), loss)

        paid = was_alive & ~unpaid
        balance = xp.where(paid[:, None], new_balance, balance)
        cash = xp.where(paid, cash_before_service - service, xp.where(unpaid, cash_before_service, cash))
        debt_after = balance.sum(axis=1)
        ltv = xp.where(unpaid, ltv_before, loan_to_value(debt_after, value))

        # --- covenant_tests ---
        covenant_default = xp.zeros(paths, bool)
        if month % int(p[L.TEST_EVERY]) == 0:
            ltv_breach = (p[L.LTV_MAX] > 0) & (ltv > p[L.LTV_MAX])
            dscr_breach = (p[L.DSCR_MIN] > 0) & (service_quarter > 0) & (dscr < p[L.DSCR_MIN])
            tested = paid & (debt_after > 0)
            breach = tested & (ltv_breach | dscr_breach)
            breaches = xp.where(breach, breaches + one, xp.where(tested, zero, breaches))
            covenant_default = breach & (breaches > p[L.CURE_TESTS])
            covenant_cause = xp.where(ltv_breach, L.LTV_BREACH, L.DSCR_BREACH)
            cause = xp.where(covenant_default, covenant_cause, cause).astype(np.int32)
            ead = xp.where(covenant_default, debt_after, ead)
            loss = xp.where(covenant_default, debt_after - recovery(debt_after, cash, value), loss)

        # --- statistics of the paths alive at the start of the month ---
        discount = xp.where(was_alive, discount * xp.exp(-rate / dtype(12.0)), discount)
        utilization_sum = xp.where(was_alive, utilization_sum + utilization, utilization_sum)
        months_alive += was_alive
        final_log_price = xp.where(was_alive, log_price, final_log_price)
        min_cash = xp.where(was_alive, xp.minimum(min_cash, cash), min_cash)
        max_ltv = xp.where(was_alive, xp.maximum(max_ltv, ltv), max_ltv)
        min_dscr = xp.where(was_alive, xp.minimum(min_dscr, dscr), min_dscr)
        defaulted_now = unpaid | covenant_default
        default_month = xp.where(defaulted_now, month, default_month).astype(np.int32)
        alive = was_alive & ~defaulted_now

        if statement_row >= 0 and bool(was_alive[statement_row]):
            lines = statement[month - 1]
            row = statement_row
            lines[L.STATEMENT_PRICE] = price[row]
            lines[L.STATEMENT_PLANNED_PRICE] = xp.exp(planned_log_price[row])
            lines[L.STATEMENT_UTILIZATION] = utilization[row]
            lines[L.STATEMENT_RATE] = rate[row]
            lines[L.STATEMENT_REGIME] = regime[row]
            lines[L.STATEMENT_REVENUE_CONTRACTED] = revenue_contracted[row]
            lines[L.STATEMENT_REVENUE_SPOT] = revenue_spot[row]
            lines[L.STATEMENT_POWER] = power[row]
            lines[L.STATEMENT_OPEX] = opex[row]
            lines[L.STATEMENT_FIXED_CHARGES] = charges
            lines[L.STATEMENT_DELAY_PENALTIES] = penalties[row]
            lines[L.STATEMENT_EBITDA] = ebitda[row]
            lines[L.STATEMENT_GPUS] = gpus[row]
            lines[L.STATEMENT_CAPEX] = capex[row]
            lines[L.STATEMENT_DRAWS] = drawn[row]
            lines[L.STATEMENT_UNDRAWN] = undrawn[row].sum()
            lines[L.STATEMENT_LAUNCHES] = launches[row]
            for j in range(L.MAX_TRANCHES):
                lines[L.STATEMENT_INTEREST + j] = interest_by_tranche[j][row] if j < tranches else zero
                lines[L.STATEMENT_PRINCIPAL + j] = principal_by_tranche[j][row] if j < tranches else zero
            lines[L.STATEMENT_REFINANCED] = refinanced_now[row]
            lines[L.STATEMENT_CASH] = cash[row]
            lines[L.STATEMENT_DEBT] = debt[row] if unpaid[row] else debt_after[row]
            lines[L.STATEMENT_FLEET_VALUE] = value[row]
            lines[L.STATEMENT_LTV] = ltv[row]
            lines[L.STATEMENT_DSCR] = dscr[row]
            lines[L.STATEMENT_BREACHES] = breaches[row]
            lines[L.STATEMENT_EVENT] = cause[row] if defaulted_now[row] else L.NO_DEFAULT

        if tracked:
            rows = slice(0, tracked)
            step = month - 1
            tracks[:, step, L.TRACK_PRICE] = price[rows]
            tracks[:, step, L.TRACK_UTILIZATION] = utilization[rows]
            tracks[:, step, L.TRACK_RATE] = rate[rows]
            tracks[:, step, L.TRACK_GLUT] = regime[rows]
            tracks[:, step, L.TRACK_CASH] = xp.where(alive[rows], cash[rows], np.nan)
            tracks[:, step, L.TRACK_LTV] = xp.where(alive[rows], ltv[rows], np.nan)
        elif not bool(alive.any()):
            break

    value = fleet_value(horizon, log_price - planned_log_price)
    equity = xp.where(alive, discount * xp.maximum(cash + value - balance.sum(axis=1), zero), zero)

    outputs_float = xp.empty((L.FLOAT_OUTPUT_COUNT, paths), dtype)
    outputs_float[L.OUT_EAD] = ead
    outputs_float[L.OUT_LOSS] = loss
    outputs_float[L.OUT_FINAL_PRICE] = xp.exp(final_log_price)
    outputs_float[L.OUT_FINAL_CASH] = cash
    outputs_float[L.OUT_MIN_CASH] = min_cash
    outputs_float[L.OUT_MAX_LTV] = max_ltv
    outputs_float[L.OUT_MIN_DSCR] = min_dscr
    outputs_float[L.OUT_MEAN_UTILIZATION] = utilization_sum / months_alive.astype(dtype)
    outputs_float[L.OUT_EQUITY_VALUE] = equity
    outputs_int = xp.empty((L.INT_OUTPUT_COUNT, paths), np.int32)
    outputs_int[L.OUT_DEFAULT_MONTH] = default_month
    outputs_int[L.OUT_DEFAULT_CAUSE] = cause
    return outputs_float, outputs_int, tracks, statement

"""The path model as array code, one month at a time over all paths (numpy or CuPy).

Two uses, one implementation:

- with numpy and the Philox draws of ``numpy_random`` it is the **numpy
  backend**, the oracle the compiled kernels are checked against. It is written
  independently of ``gpu_stress.kernels`` (whole arrays, masks instead of early
  exits) and shares only the array layout and the random-number contract;
- with a library generator (NumPy's, or CuPy's on a GPU) it is the **naive
  baseline** of the benchmarks: the model as a user would write it in array code.

docs/model.md states the model both follow, the capital structure (pools, ranks,
the waterfall, reserves, facility mechanics, equity, backstop, vendor) included.

The market (``ArrayMarket``) and the firm (``ArrayFirm``) are stepped apart: a
firm's month takes the market's month, its own draws and the month's
resale-value index (1 for a firm alone), and its state (``FirmArrays``) can be
copied and merged path by path, so that ``array_portfolio`` can step several
firms in one market and re-step a month from its start at another index.
"""

import numpy as np

from ..kernels import layout as L
from . import numpy_random


def philox_draws(seed, stream, path_start, paths, params, dtype):
    """Draws of the random-number contract: ``draws(month)`` -> (normals, uniforms, renewals, slips).

    normals = (e_price, e_utilization, e_rate, e_basis) and uniforms = (u_jump,
    u_regime, u_customer0..3, u_backstop, u_vendor): the market's block gives
    e_price, e_rate, u_jump and u_regime; the firm's block 0 (its entity is 1 +
    params[FIRM_STREAM]) gives e_utilization and e_basis (its Box-Muller pair)
    and customers 0 and 1. Its block 1 gives customers 2 and 3 (words 0, 1, used
    only with more than two customers) and the defaults of the backstop's
    counterparty and of the vendor (words 2, 3); it is drawn only if the firm
    has more than two customers or either counterparty can default. renewals
    (one per contract) and slips (one per cohort) come from the firm's renewal
    and slip blocks, drawn only for a firm that can use them. A uniform that is
    not drawn is 1, which triggers nothing.
    """
    path_ids = np.uint64(path_start) + np.arange(paths, dtype=np.uint64)
    firm_blocks = L.BLOCKS_PER_ENTITY * (1 + int(params[L.FIRM_STREAM]))  # firm f is entity 1 + f
    customers = int(params[L.CUSTOMER_COUNT])
    renewal_probabilities = [
        params[L.CUSTOMER_RENEWAL + L.MAX_CUSTOMERS * r + i] for r in (0, 1) for i in range(customers)
    ]
    renewals = sum(renewal_probabilities) > 0
    slips = params[L.SLIP_PROBABILITY] + params[L.SLIP_PROBABILITY + 1] > 0
    counterparties = any(params[L.BACKSTOP_HAZARD + r] > 0 or params[L.VENDOR_HAZARD + r] > 0 for r in (0, 1))

    def firm_uniforms(month, block, wanted):
        if not wanted:
            return [np.ones(paths, dtype)] * 4
        words = numpy_random.draw_block(seed, stream, path_ids, month, firm_blocks + block)
        return [numpy_random.to_uniform(word, dtype) for word in words]

    def draws(month):
        m0, m1, m2, m3 = numpy_random.draw_block(seed, stream, path_ids, month, L.MARKET_BLOCK)
        e_price, e_rate = numpy_random.box_muller(m0, m1, dtype)
        f0, f1, f2, f3 = numpy_random.draw_block(seed, stream, path_ids, month, firm_blocks + L.FIRM_BLOCK)
        e_utilization, e_basis = numpy_random.box_muller(f0, f1, dtype)
        uniforms = [numpy_random.to_uniform(word, dtype) for word in (m2, m3, f2, f3)]
        more = firm_uniforms(month, L.FIRM_MORE_CUSTOMERS_BLOCK, customers > 2 or counterparties)
        uniforms += more[:2] if customers > 2 else [np.ones(paths, dtype)] * 2
        uniforms += more[2:]  # ones unless the block was drawn
        renewal_uniforms = firm_uniforms(month, L.FIRM_RENEWAL_BLOCK, renewals)
        slip_uniforms = firm_uniforms(month, L.FIRM_SLIP_BLOCK, slips)
        return (e_price, e_utilization, e_rate, e_basis), uniforms, renewal_uniforms, slip_uniforms

    return draws


def library_draws(generator, paths, dtype):
    """Draws from a NumPy or CuPy ``Generator``: same shapes, not the Philox contract."""

    def draws(month):
        normals = generator.standard_normal((4, paths), dtype=dtype)
        uniforms = generator.random((16, paths), dtype=dtype)
        return tuple(normals), list(uniforms[:8]), list(uniforms[8:12]), list(uniforms[12:])

    return draws


def simulate_paths(params, horizon, paths, tracked, dtype, draws, xp=np, statement_row=-1):
    """Simulate ``paths`` paths with ``draws``; outputs laid out as the kernels' launchers write them.

    Returns (outputs_float, outputs_int, tracks, statement) as ``xp`` arrays shaped
    (FLOAT_OUTPUT_COUNT, paths), (INT_OUTPUT_COUNT, paths), (tracked, horizon, TRACK_COUNT)
    and, for path ``statement_row`` (-1: none), its monthly statement (horizon, STATEMENT_COUNT).
    """
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        p = np.asarray(params, dtype=dtype)
        market = ArrayMarket(p, paths, dtype, xp)
        firm = ArrayFirm(p, paths, dtype, xp)
        state = firm.start(market)
        tracks = xp.zeros((tracked, horizon, L.TRACK_COUNT), dtype)
        statement = xp.full((horizon if statement_row >= 0 else 0, L.STATEMENT_COUNT), np.nan, dtype)
        index = dtype(1.0)  # a firm alone: no systemic fire sales depress its collateral
        for month in range(1, horizon + 1):
            draws_now = draws(month)
            market.step(draws_now)
            result = firm.month(state, month, market, draws_now, index, statement, statement_row)
            if tracked:
                rows = slice(0, tracked)
                step = month - 1
                tracks[:, step, L.TRACK_PRICE] = xp.exp(market.log_price[rows])
                tracks[:, step, L.TRACK_UTILIZATION] = result.utilization[rows]
                tracks[:, step, L.TRACK_RATE] = market.rate[rows]
                tracks[:, step, L.TRACK_GLUT] = market.regime[rows]
                tracks[:, step, L.TRACK_CASH] = xp.where(state.alive[rows], state.cash[rows], np.nan)
                tracks[:, step, L.TRACK_LTV] = xp.where(state.alive[rows], result.ltv[rows], np.nan)
            elif not bool(state.alive.any()):
                break
        outputs_float, outputs_int = firm.finish(state, horizon)
    return outputs_float, outputs_int, tracks, statement


class ArrayMarket:
    """The market of every path (regime, ln P, planned ln P, r, launches), stepped a month at a time.

    After ``step`` it also holds the month's market normals (e_price, e_rate),
    which a firm's utilization loads on.
    """

    def __init__(self, params, paths, dtype, xp=np):
        p = self.p = np.asarray(params, dtype=dtype)
        self.dtype, self.xp = dtype, xp
        self.regime = xp.full(paths, int(p[L.REGIME_INITIAL]), dtype=xp.int64)
        self.log_price = xp.full(paths, p[L.LOG_PRICE_INITIAL], dtype=dtype)
        self.planned_log_price = xp.full(paths, p[L.LOG_PRICE_INITIAL], dtype=dtype)  # collateral is valued against it
        self.rate = xp.full(paths, p[L.RATE_INITIAL], dtype=dtype)
        self.launches = xp.zeros(paths, dtype)
        self.month = 0
        self.e_price = self.e_rate = None

    def _by_regime(self, index):
        return self.xp.where(self.regime == 1, self.p[index + 1], self.p[index])

    def step(self, draws_now):
        """One month on, from the market's part of ``draws_now`` (see ``philox_draws``)."""
        p, xp = self.p, self.xp
        (e_price, _, e_rate, _), (u_jump, u_regime, *_), _, _ = draws_now
        if p[L.BASE_CASE] > 0:  # the plan: no shock, and a uniform of 1 is below no probability
            e_price = e_rate = xp.zeros_like(self.log_price)
            u_jump = u_regime = xp.ones_like(self.log_price)
        self.month += 1
        month = self.month
        self.regime = xp.where(u_regime < self._by_regime(L.SWITCH_PROBABILITY), 1 - self.regime, self.regime)
        # A stress overlay's forced regime, launch, price ramp and rate shift (docs/model.md, "Stress overlays").
        if p[L.STRESS_REGIME] >= 0 and p[L.STRESS_REGIME_START] <= month <= p[L.STRESS_REGIME_END]:
            self.regime = xp.full_like(self.regime, int(p[L.STRESS_REGIME]))
        cholesky = p[L.CHOLESKY : L.CHOLESKY + 3]
        z_price = cholesky[0] * e_price
        z_rate = cholesky[1] * e_price + cholesky[2] * e_rate
        log_price = self.log_price + self._by_regime(L.LOG_DRIFT) + self._by_regime(L.LOG_VOLATILITY) * z_price
        launched = u_jump < p[L.JUMP_PROBABILITY]
        log_price = xp.where(launched, log_price + p[L.LOG_JUMP], log_price)
        self.launches = self.launches + launched
        if month == p[L.STRESS_LAUNCH_MONTH]:
            log_price = log_price + p[L.LOG_JUMP]
            self.launches = self.launches + 1
        if p[L.STRESS_PRICE_START] <= month <= p[L.STRESS_PRICE_END]:
            log_price = log_price + p[L.STRESS_PRICE_LOG_STEP]
        planned_log_price = self.planned_log_price + p[L.REFERENCE_LOG_DRIFT]
        if p[L.FLOOR_ENABLED] > 0:
            log_price = xp.maximum(log_price, p[L.LOG_PRICE_FLOOR])
            planned_log_price = xp.maximum(planned_log_price, p[L.LOG_PRICE_FLOOR])
        self.log_price, self.planned_log_price = log_price, planned_log_price
        rate, rate_mean = self.rate, p[L.RATE_MEAN]
        if month >= p[L.STRESS_RATE_START]:
            rate_mean = rate_mean + p[L.STRESS_RATE_SHIFT]
        if month == p[L.STRESS_RATE_START]:
            rate = rate + p[L.STRESS_RATE_SHIFT]
        self.rate = rate_mean + (rate - rate_mean) * p[L.RATE_DECAY] + p[L.RATE_SHOCK] * z_rate
        self.e_price, self.e_rate = e_price, e_rate


class FirmArrays:
    """A firm's state on every path: named arrays with paths first, copied and merged path by path."""

    def __init__(self, xp=np, **arrays):
        self._xp = xp
        self.__dict__.update(arrays)

    def _arrays(self):
        return {name: value for name, value in vars(self).items() if name != "_xp"}

    def copy(self):
        return FirmArrays(self._xp, **{name: value.copy() for name, value in self._arrays().items()})

    def take(self, paths, other):
        """The paths where ``paths`` (bool) is set take ``other``'s state; the rest keep theirs."""
        xp = self._xp
        for name, value in self._arrays().items():
            mask = paths.reshape(paths.shape + (1,) * (value.ndim - 1))
            setattr(self, name, xp.where(mask, getattr(other, name), value))


class MonthResult:
    """What a firm's month reports besides its state: utilization, ln P_f, LTV, DSCR, GPUs sold (per path)."""

    def __init__(self, utilization, log_price, ltv, dscr, gpus_sold):
        self.utilization = utilization
        self.log_price = log_price
        self.ltv = ltv
        self.dscr = dscr
        self.gpus_sold = gpus_sold  # by its lenders this month: a defaulted pool's share, or all the parent owned


class ArrayFirm:
    """One firm's model over ``paths`` paths: ``start`` -> state, ``month`` steps it, ``finish`` -> outputs."""

    def __init__(self, params, paths, dtype, xp=np):
        p = self.p = np.asarray(params, dtype=dtype)
        self.paths, self.dtype, self.xp = paths, dtype, xp
        self.customers = int(p[L.CUSTOMER_COUNT])
        self.tranches = tranches = int(p[L.TRANCHE_COUNT])
        self.pools = pools = int(p[L.POOL_COUNT])
        self.cohort_count = cohort_count = int(p[L.COHORT_COUNT])
        self.customer_cohort = [int(p[L.CUSTOMER_COHORT + i]) for i in range(self.customers)]
        self.amortization = [int(p[L.TRANCHE_AMORTIZATION + j]) for j in range(tranches)]
        # The capital structure: each pool's cohorts and tranches, each tranche's rank (all fixed for a scenario).
        self.tranche_pool = tranche_pool = [int(p[L.TRANCHE_POOL + j]) for j in range(tranches)]
        self.tranche_rank = [int(p[L.TRANCHE_RANK + j]) for j in range(tranches)]
        self.pool_tranches = [[j for j in range(tranches) if tranche_pool[j] == q] for q in range(pools)]
        self.pool_cohorts = [
            [c for c in range(cohort_count) if (int(p[L.POOL_COHORTS + q]) >> c) & 1] for q in range(pools)
        ]
        self.vendor_tranches = [j for j in range(tranches) if p[L.TRANCHE_VENDOR + j] > 0]
        # Who shares in the estate: unsecured tranches and those of pools with recourse (ring-fenced ones have none).
        self.recourse_tranches = [
            j for j in range(tranches) if tranche_pool[j] < 0 or p[L.POOL_RING_FENCED + tranche_pool[j]] <= 0
        ]

    # --- helpers ---

    def _full(self, value, kind=None):
        return self.xp.full(self.paths, value, dtype=self.dtype if kind is None else kind)

    def _loan_to_value(self, debt, value):
        zero, cap = self.dtype(0.0), self.dtype(L.RATIO_CAP)
        return self.xp.where(debt <= 0, zero, self.xp.where(value * cap <= debt, cap, debt / value))

    def _cohort_age(self, s, c, month):
        """Months since cohort c's first tranche on every path, whether it is in service, and the share delivered."""
        p = self.p
        age = self.dtype(month) - s.delivery[:, c]
        parts = p[L.COHORT_DELIVERY_MONTHS + c]  # monthly delivery tranches
        serving = (age >= 0) & (age <= p[L.COHORT_USEFUL_LIFE + c])
        return age, serving, self.xp.minimum(age + self.dtype(1.0), parts) / parts

    def _cohort_log_price(self, s, c, log_price):
        """ln of the price cohort c's generation earns: a ratio of the firm's, uncut by launches before delivery."""
        p = self.p
        value = log_price + p[L.COHORT_LOG_PRICE_RATIO + c] - s.launch_credit[:, c] * p[L.LOG_JUMP]
        return self.xp.maximum(value, p[L.LOG_PRICE_FLOOR]) if p[L.FLOOR_ENABLED] > 0 else value

    def _cohort_values(self, s, month, price_surprise, index):
        """Each cohort's value in full, W_c: in service at cost x residual(age) x (P_f / planned P)^elasticity x I.

        ``index`` is the month's resale-value index I (a scalar or one per path).
        """
        p, xp = self.p, self.xp
        values = []
        for c in range(self.cohort_count):
            age, serving, delivered = self._cohort_age(s, c, month)
            exponent = p[L.PRICE_ELASTICITY] * price_surprise + p[L.COHORT_LOG_DECAY + c] * age
            value = p[L.COHORT_COST + c] * delivered * xp.exp(exponent) * index
            values.append(xp.where(serving, value, self.dtype(0.0)))
        return values

    def _firm_value(self, s, values):
        """The firm's collateral V: what it still owns of each cohort (defaulted pools' lenders sold their share)."""
        value = self._full(0.0)
        for c, value_c in enumerate(values):
            value = value + (self.dtype(1.0) - s.sold[:, c]) * value_c
        return value

    def _fixed_charges(self, month):
        """Leases and power contracts due this month, each escalating from its first month."""
        p = self.p
        total = self.dtype(0.0)
        for k in range(int(p[L.OBLIGATION_COUNT])):
            start = p[L.OBLIGATION_START + k]
            if start <= month <= p[L.OBLIGATION_END + k]:
                total = total + p[L.OBLIGATION_AMOUNT + k] * np.exp(
                    p[L.OBLIGATION_LOG_ESCALATION + k] * (month - start)
                )
        return total

    def _pay_by_rank(self, claims, assets, members):
        """Pay the ``claims`` (paths x tranches) of tranches ``members`` from ``assets`` (paths).

        Rank by rank, strictly (a rank gets nothing until the ranks above it are
        paid in full), pro rata to the claims within a rank. Returns (payments,
        assets left over).
        """
        xp, zero = self.xp, self.dtype(0.0)
        payments = xp.zeros_like(claims)
        for rank in range(1, L.MAX_RANK + 1):
            ranked = [j for j in members if self.tranche_rank[j] == rank]
            if not ranked:
                continue
            total = self._full(0.0)
            for j in ranked:
                total = total + claims[:, j]
            paid = xp.minimum(assets, total)
            for j in ranked:
                pro_rata = xp.where(total > 0, paid * (claims[:, j] / total), zero)
                # A rank paid in full gets exactly its claims: no rounding is left over as a loss.
                payments[:, j] = xp.where(paid >= total, claims[:, j], pro_rata)
            assets = assets - paid
        return payments, assets

    # --- the firm ---

    def start(self, market):
        """The firm's state at month 0 on every path, in the market ``market`` (an ``ArrayMarket`` at month 0)."""
        p, xp, dtype, paths = self.p, self.xp, self.dtype, self.paths
        full = self._full
        tranches, pools, cohort_count = self.tranches, self.pools, self.cohort_count

        def tranche_values(index):
            return xp.tile(xp.asarray(p[index : index + tranches]), (paths, 1))

        delivery = xp.tile(
            xp.asarray([p[L.COHORT_FIXED_DELAY + c] - p[L.COHORT_AGE_INITIAL + c] for c in range(cohort_count)], dtype),
            (paths, 1),
        )
        contract_end = (
            xp.stack(
                [
                    delivery[:, c] + p[L.CUSTOMER_TERM + i] - dtype(1.0)
                    if p[L.CUSTOMER_END + i] < 0
                    else full(p[L.CUSTOMER_END + i])
                    for i, c in enumerate(self.customer_cohort)
                ],
                axis=1,
            )
            if self.customers
            else xp.zeros((paths, 0), dtype)
        )
        cash = full(p[L.CASH_INITIAL])
        return FirmArrays(
            xp,
            utilization_logit=full(p[L.UTILIZATION_LOGIT_INITIAL]),
            cash=cash,
            breaches=full(0.0),
            delivery=delivery,
            launch_credit=xp.zeros((paths, cohort_count), dtype),
            customer_alive=xp.ones((paths, self.customers), bool),
            contract_price=xp.tile(xp.asarray(p[L.CUSTOMER_PRICE : L.CUSTOMER_PRICE + self.customers]), (paths, 1)),
            contract_end=contract_end,
            balance=tranche_values(L.TRANCHE_PRINCIPAL),
            undrawn=tranche_values(L.TRANCHE_COMMITMENT),
            floating=tranche_values(L.TRANCHE_FLOATING) > 0,
            coupon=tranche_values(L.TRANCHE_RATE),
            maturity=tranche_values(L.TRANCHE_MATURITY),
            ebitda_trailing=xp.zeros((paths, L.TRAILING_MONTHS), dtype),
            service_trailing=xp.zeros((paths, L.TRAILING_MONTHS), dtype),
            # The capital structure's state.
            sold=xp.zeros((paths, cohort_count), dtype),  # s_c: share of each cohort sold by defaulted pools' lenders
            pool_defaulted=xp.zeros((paths, pools), bool),
            reserve=xp.zeros((paths, pools), dtype),  # debt-service reserve accounts
            tranche_default_month=xp.full((paths, tranches), -1, np.int32),
            tranche_ead=xp.zeros((paths, tranches), dtype),
            tranche_recovery=xp.zeros((paths, tranches), dtype),
            equity_share=full(1.0),  # of the firm, still held by the holders of month 0
            equity_raised=full(0.0),
            raised_this_year=full(0.0),
            backstop_paid=full(0.0),
            backstop_alive=full(True, bool),
            vendor_alive=full(True, bool),
            # The firm's own price and its collateral's market.
            log_basis=full(0.0),  # b, the firm's price basis
            price_surprise=full(0.0),  # ln P_f - planned ln P in its last month alive
            resale_index=full(1.0),  # the resale-value index of its last month alive
            # The path's statistics.
            alive=xp.ones(paths, bool),
            cause=full(L.NO_DEFAULT, np.int32),
            default_month=full(-1, np.int32),
            min_cash=cash.copy(),
            max_ltv=full(0.0),
            min_dscr=full(L.RATIO_CAP),
            utilization_sum=full(0.0),
            discount=full(1.0),
            months_alive=full(0, np.int64),
            final_log_price=market.log_price.copy(),
        )

    def month(self, s, month, market, draws_now, index, statement=None, statement_row=-1):
        """Step state ``s`` (in place) through ``month`` of ``market`` at resale-value index ``index``.

        ``market`` is the ``ArrayMarket`` after its step into ``month``;
        ``draws_now`` this firm's draws of the month (``philox_draws``: only the
        firm's parts are read); ``index`` a scalar or one per path. Paths where
        the firm is not alive keep their outputs. If ``statement_row`` >= 0 and
        that path is alive, row ``month - 1`` of ``statement`` gets its lines.
        Returns a ``MonthResult``.
        """
        p, xp, dtype, paths = self.p, self.xp, self.dtype, self.paths
        zero, one = dtype(0.0), dtype(1.0)
        cap = dtype(L.RATIO_CAP)
        full, loan_to_value = self._full, self._loan_to_value
        customers, tranches, pools, cohort_count = self.customers, self.tranches, self.pools, self.cohort_count
        customer_cohort, amortization, tranche_pool = self.customer_cohort, self.amortization, self.tranche_pool
        pool_tranches, pool_cohorts = self.pool_tranches, self.pool_cohorts
        vendor_tranches, recourse_tranches = self.vendor_tranches, self.recourse_tranches
        recovery_rate = p[L.FIRE_SALE_RECOVERY]  # 1 - fire-sale haircut
        regime, rate, launches = market.regime, market.rate, market.launches
        planned_log_price = market.planned_log_price

        def by_regime(index):
            """Parameter ``index`` (shortage) or ``index + 1`` (glut) for every path."""
            return xp.where(regime == 1, p[index + 1], p[index])

        def by_regime_of(index, offset):
            """Parameter ``index`` + ``offset`` in shortage, or ``offset`` blocks of MAX_CUSTOMERS further in glut."""
            return xp.where(regime == 1, p[index + L.MAX_CUSTOMERS + offset], p[index + offset])

        (_, e_utilization, _, e_basis), (_, _, *customer_draws, u_backstop, u_vendor), renewal_draws, slip_draws = (
            draws_now
        )
        if p[L.BASE_CASE] > 0:  # the plan: no shock, and a uniform of 1 is below no probability
            e_utilization = e_basis = full(0.0)
            u_backstop = u_vendor = full(1.0)
            customer_draws = [full(1.0)] * len(customer_draws)
            renewal_draws = [full(1.0)] * len(renewal_draws)
            slip_draws = [full(1.0)] * len(slip_draws)
        was_alive = s.alive.copy()

        # --- utilization: the firm's own logit-OU, loading on the market's shocks and its own ---
        cholesky = p[L.CHOLESKY : L.CHOLESKY + 6]
        z_utilization = cholesky[3] * market.e_price + cholesky[4] * market.e_rate + cholesky[5] * e_utilization
        mean = by_regime(L.UTILIZATION_LOGIT_MEAN)
        s.utilization_logit = (
            mean + (s.utilization_logit - mean) * p[L.UTILIZATION_DECAY] + p[L.UTILIZATION_SHOCK] * z_utilization
        )
        utilization = one / (one + xp.exp(-s.utilization_logit))

        # --- the firm's price: ln P_f = ln P + (loading - 1)(ln P - planned ln P) + b, b an OU in ln price ---
        s.log_basis = xp.where(was_alive, s.log_basis * p[L.BASIS_DECAY] + p[L.BASIS_SHOCK] * e_basis, s.log_basis)
        log_price = market.log_price + (p[L.BASIS_LOADING] - one) * (market.log_price - planned_log_price) + s.log_basis
        surprise = log_price - planned_log_price  # what moves collateral values
        s.price_surprise = xp.where(was_alive, surprise, s.price_surprise)
        s.resale_index = xp.where(was_alive, index, s.resale_index)

        month_number = dtype(month)
        if (month - 1) % L.MONTHS_PER_YEAR == 0:
            s.raised_this_year = full(0.0)  # a new year of equity room: months 1-12, 13-24, ...

        # --- counterparties: they default in this month's regime, before the month's deliveries ---
        s.backstop_alive &= ~(was_alive & (u_backstop < by_regime(L.BACKSTOP_HAZARD)))
        s.vendor_alive &= ~(was_alive & (u_vendor < by_regime(L.VENDOR_HAZARD)))
        for j in vendor_tranches:  # the vendor stopped financing: what it has not lent it never will
            s.undrawn[:, j] = xp.where(s.vendor_alive, s.undrawn[:, j], zero)

        # --- deliveries ---
        capex, drawn = full(0.0), full(0.0)
        for c in range(cohort_count):
            if p[L.COHORT_DEPOSIT_MONTH + c] == month_number:
                capex = capex + xp.where(was_alive, p[L.COHORT_DEPOSIT + c], zero)
            due = was_alive & (s.delivery[:, c] == month_number)
            planned = p[L.COHORT_FIXED_DELAY + c] - p[L.COHORT_AGE_INITIAL + c]
            slip = due & (p[L.COHORT_SLIPS + c] > 0) & (month_number - planned < p[L.DELAY_MAX])
            slip &= slip_draws[c] < by_regime(L.SLIP_PROBABILITY)
            s.delivery[:, c] += slip
            for i in range(customers):  # a first term from delivery starts later
                if customer_cohort[i] == c and p[L.CUSTOMER_END + i] < 0:
                    s.contract_end[:, i] += slip
            parts = p[L.COHORT_DELIVERY_MONTHS + c]
            part = month_number - s.delivery[:, c]  # its monthly delivery tranches: 0, 1, ...
            arrives = was_alive & ~slip & (part >= 0) & (part < parts) & (part <= p[L.COHORT_USEFUL_LIFE + c])
            cost = p[L.COHORT_COST + c] / parts
            kept = one - s.sold[:, c]  # the firm buys only what defaulted pools' lenders did not take
            capex = capex + xp.where(arrives, (cost - p[L.COHORT_DEPOSIT + c] / parts) * kept, zero)
            if p[L.COHORT_NEWEST + c] > 0:
                s.launch_credit[:, c] = xp.where(arrives & (part == 0), launches, s.launch_credit[:, c])
            funded = full(0.0)
            for j in range(tranches):
                if month_number > p[L.TRANCHE_DRAW_END + j] or (int(p[L.TRANCHE_FUNDS + j]) >> c) & 1 == 0:
                    continue
                draw = xp.minimum(p[L.TRANCHE_ADVANCE_RATE + j] * cost * kept - funded, s.undrawn[:, j])
                draw = xp.where(arrives & (draw > 0), draw, zero)
                s.undrawn[:, j] -= draw
                s.balance[:, j] += draw
                funded = funded + draw
            drawn = drawn + funded

        # --- contracts ---
        penalties = full(0.0)
        for i, c in enumerate(customer_cohort):
            if month_number == p[L.CUSTOMER_DEFAULT_MONTH + i]:  # a stress overlay's default
                s.customer_alive[:, i] &= ~was_alive
            active = s.customer_alive[:, i] & was_alive
            if c >= 0:
                waiting = active & (month_number < s.delivery[:, c])
                ended = waiting & (month_number > s.contract_end[:, i])  # its first term ran out before its cohort
                s.customer_alive[:, i] &= ~ended
                active &= ~ended
                waiting &= ~ended
                if month_number + p[L.COHORT_AGE_INITIAL + c] + one > p[L.CUSTOMER_DELAY_LIMIT + i]:
                    if p[L.CUSTOMER_TERMINATES + i] > 0:
                        s.customer_alive[:, i] &= ~waiting
                    else:
                        gpu_hours = p[L.CUSTOMER_SHARE + i] * p[L.COHORT_GPUS + c] * dtype(L.HOURS_PER_MONTH)
                        value = p[L.CUSTOMER_DELAY_PENALTY + i] * gpu_hours * s.contract_price[:, i]
                        penalties = penalties + xp.where(waiting, value, zero)
                active &= ~waiting
            expired = active & (month_number > s.contract_end[:, i])
            renews = expired & (renewal_draws[i] < by_regime_of(L.CUSTOMER_RENEWAL, i))
            s.contract_end[:, i] += xp.where(renews, p[L.CUSTOMER_TERM + i], zero)
            spot = log_price if c < 0 else self._cohort_log_price(s, c, log_price)
            renewed_price = xp.exp(spot) * (one - p[L.CUSTOMER_RENEWAL_DISCOUNT + i])
            s.contract_price[:, i] = xp.where(renews, renewed_price, s.contract_price[:, i])
            lapses = expired & ~renews  # its capacity goes back to the spot market
            s.customer_alive[:, i] &= ~lapses
            defaults_now = active & ~lapses & (customer_draws[i] < by_regime_of(L.CUSTOMER_HAZARD, i))
            s.customer_alive[:, i] &= ~defaults_now

        # --- operating_cash_flow, by cohort in service ---
        # Each cohort's cash flow in full (CF_c, what pools hold shares of); the firm counts the share it kept.
        cohort_value = self._cohort_values(s, month, surprise, index)
        cohort_cash_flow = []
        revenue_contracted, revenue_spot, power, gpus = full(0.0), full(0.0), full(0.0), full(0.0)
        unused_hours = full(0.0)  # the firm's idle uncontracted GPU-hours, what the backstop buys
        in_service = []  # each cohort's GPUs in service in full (sold or not): what a pool's lenders sell
        for c in range(cohort_count):
            _, serving, delivered = self._cohort_age(s, c, month)
            share, contract_rate = full(0.0), full(0.0)
            for i, covers in enumerate(customer_cohort):
                if covers >= 0 and covers != c:
                    continue
                paying = s.customer_alive[:, i]
                if covers >= 0:
                    paying = paying & (month_number >= s.delivery[:, covers])
                take_or_pay = p[L.CUSTOMER_TAKE_OR_PAY + i]
                paid = take_or_pay + (one - take_or_pay) * utilization
                share = share + xp.where(paying, p[L.CUSTOMER_SHARE + i], zero)
                contract_rate = contract_rate + xp.where(
                    paying, p[L.CUSTOMER_SHARE + i] * s.contract_price[:, i] * paid, zero
                )
            kept = one - s.sold[:, c]
            gpus_c = p[L.COHORT_GPUS + c] * delivered
            hours = gpus_c * dtype(L.HOURS_PER_MONTH)
            spot_price = xp.exp(self._cohort_log_price(s, c, log_price))
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
            cohort_cash_flow.append(xp.where(serving, cash_flow_c, zero))
            in_service.append(xp.where(serving, gpus_c, zero))
        backstop = full(0.0)
        if p[L.BACKSTOP_CAP] > 0 and p[L.BACKSTOP_START] <= month_number <= p[L.BACKSTOP_END]:
            # It buys the idle capacity at its price until its payments reach the cap (the last one cut to fit).
            buying = was_alive & s.backstop_alive
            bought = xp.maximum(
                xp.minimum(p[L.BACKSTOP_PRICE] * unused_hours, p[L.BACKSTOP_CAP] - s.backstop_paid), zero
            )
            backstop = xp.where(buying, bought, zero)
            s.backstop_paid = s.backstop_paid + backstop
        opex = p[L.OPEX_PER_GPU] * gpus + p[L.FIXED_OPEX]
        charges = self._fixed_charges(month_number)
        ebitda = revenue_contracted + revenue_spot + backstop - power - opex - charges - penalties
        cash_before_service = s.cash + ebitda - capex + drawn
        value = self._firm_value(s, cohort_value)
        # A pool's value and cash flow are its share of its cohorts in full: other pools' sales never take its share.
        pool_value = xp.zeros((paths, pools), dtype)
        pool_cash_flow = xp.zeros((paths, pools), dtype)
        for q in range(pools):
            value_q, cash_flow_q = full(0.0), full(0.0)
            for c in pool_cohorts[q]:
                value_q = value_q + cohort_value[c]
                cash_flow_q = cash_flow_q + cohort_cash_flow[c]
            pool_value[:, q] = xp.where(s.pool_defaulted[:, q], zero, p[L.POOL_SHARE + q] * value_q)
            pool_cash_flow[:, q] = p[L.POOL_SHARE + q] * cash_flow_q
        debt = s.balance.sum(axis=1)
        ltv_before = loan_to_value(debt, value)

        # --- debt_service ---
        base_rate = xp.maximum(rate, p[L.RATE_FLOOR])
        refinancing_open = (p[L.REFINANCING_ENABLED] > 0) & (by_regime(L.REFINANCING_OPEN) > 0)
        partial = p[L.REFINANCING_PARTIAL] > 0
        rolls_whole = refinancing_open & (ltv_before <= p[L.REFINANCING_MAX_LTV])  # the all-or-nothing rule
        headroom = p[L.REFINANCING_MAX_LTV] * value - debt  # what lenders would still lend against the fleet
        refinancing_spread = by_regime(L.REFINANCING_SPREAD) + p[L.REFINANCING_LEVERAGE_SPREAD] * ltv_before
        service, balloon, refinanced_now = full(0.0), full(0.0), full(0.0)
        interest_by_tranche, principal_by_tranche, balloon_by_tranche, service_by_tranche = [], [], [], []
        new_balance = s.balance.copy()
        for j in range(tranches):
            in_window = month_number <= p[L.TRANCHE_DRAW_END + j]
            fee = s.undrawn[:, j] * p[L.TRANCHE_UNDRAWN_FEE + j] / dtype(12.0) if in_window else full(0.0)
            if not in_window:
                s.undrawn[:, j] = zero  # the commitment lapses at the end of the draw window
            service = service + fee
            owed = s.balance[:, j]
            outstanding = owed > 0
            monthly_rate = (s.coupon[:, j] + xp.where(s.floating[:, j], base_rate, zero)) / dtype(12.0)
            interest = owed * monthly_rate
            payments_left = s.maturity[:, j] - month_number + one
            due_now = payments_left <= one
            if in_window:
                principal = full(0.0)  # interest only while it can draw
            elif amortization[j] == L.LINEAR:
                principal = owed / payments_left
            elif amortization[j] == L.ANNUITY:
                # The level payment of the current balance: after a prepayment the payment falls, the term stays.
                annuity_factor = -xp.expm1(-payments_left * xp.log1p(monthly_rate))
                level = xp.where(monthly_rate != 0, owed * monthly_rate / annuity_factor, owed / payments_left)
                principal = level - interest
            else:
                principal = full(0.0)
            principal = xp.where(due_now, owed, principal)
            balloon_j = full(0.0)
            if amortization[j] == L.BULLET:
                due_balloon = outstanding & due_now
                if partial:
                    # Lenders roll what keeps debt within max LTV x V; each repayment from cash adds headroom.
                    rollable = due_balloon & refinancing_open
                    rolled = xp.where(rollable, xp.minimum(owed, xp.maximum(headroom + owed, zero)), zero)
                    headroom = headroom - xp.where(rollable, rolled - owed, zero)
                else:
                    rolled = xp.where(due_balloon & rolls_whole, owed, zero)
                balloon_j = xp.where(due_balloon, owed - rolled, zero)
                principal = xp.where(due_balloon, owed - rolled, principal)
                balloon += balloon_j
                refinanced_now = refinanced_now + rolled
                commit = (rolled > 0) & was_alive  # a new floating loan for what was rolled
                s.floating[:, j] |= commit
                s.coupon[:, j] = xp.where(commit, refinancing_spread, s.coupon[:, j])
                s.maturity[:, j] = xp.where(commit, month_number + p[L.REFINANCING_TERM], s.maturity[:, j])
            principal = xp.where(outstanding, principal, zero)
            interest = xp.where(outstanding, interest, zero)
            new_balance[:, j] = owed - principal
            interest_by_tranche.append(fee + interest)
            principal_by_tranche.append(principal)
            balloon_by_tranche.append(balloon_j)
            service_by_tranche.append(fee + interest + principal)
            service += interest + principal
        pool_service, pool_balloon = [], []  # S_p: the service due on each pool's tranches (balloons included)
        for q in range(pools):
            service_q, balloon_q = full(0.0), full(0.0)
            for j in pool_tranches[q]:
                service_q = service_q + service_by_tranche[j]
                balloon_q = balloon_q + balloon_by_tranche[j]
            pool_service.append(service_q)
            pool_balloon.append(balloon_q)

        # --- ring_fenced_pools: each serves its tranches from its own cash flow and reserve, or defaults ---
        pool_defaults_now = xp.zeros((paths, pools), bool)
        gpus_sold = full(0.0)  # by the lenders of the pools that default now (the parent's: all it owns)
        for q in range(pools):
            if p[L.POOL_RING_FENCED + q] <= 0 or not pool_tranches[q]:
                continue
            members = pool_tranches[q]
            owing = xp.zeros(paths, bool)
            for j in members:
                owing |= s.balance[:, j] > 0
            fails = was_alive & ~s.pool_defaulted[:, q] & owing
            fails &= pool_cash_flow[:, q] + s.reserve[:, q] < pool_service[q]
            pool_defaults_now[:, q] = fails
            gpus_q = zero
            for c in pool_cohorts[q]:
                gpus_q = gpus_q + in_service[c]
            gpus_sold = gpus_sold + xp.where(fails, gpus_q * p[L.POOL_SHARE + q], zero)
            # Its lenders take its share of the fleet, its reserve and its month of cash flow (non-recourse).
            claims = xp.zeros((paths, tranches), dtype)
            for j in members:
                in_default = fails & (s.balance[:, j] > 0)
                claims[:, j] = xp.where(in_default, s.balance[:, j], zero)
                s.tranche_default_month[:, j] = xp.where(in_default, month, s.tranche_default_month[:, j])
                s.tranche_ead[:, j] = xp.where(in_default, s.balance[:, j], s.tranche_ead[:, j])
            assets = pool_value[:, q] * recovery_rate + s.reserve[:, q] + xp.maximum(pool_cash_flow[:, q], zero)
            recovered, surplus = self._pay_by_rank(claims, xp.where(fails, assets, zero), members)
            for j in members:
                s.tranche_recovery[:, j] = xp.where(
                    fails & (s.balance[:, j] > 0), recovered[:, j], s.tranche_recovery[:, j]
                )
                # Settled: no balance, no commitment, and this month's service is not paid.
                s.balance[:, j] = xp.where(fails, zero, s.balance[:, j])
                new_balance[:, j] = xp.where(fails, zero, new_balance[:, j])
                s.undrawn[:, j] = xp.where(fails, zero, s.undrawn[:, j])
                interest_by_tranche[j] = xp.where(fails, zero, interest_by_tranche[j])
                principal_by_tranche[j] = xp.where(fails, zero, principal_by_tranche[j])
            service = service - xp.where(fails, pool_service[q], zero)
            balloon = balloon - xp.where(fails, pool_balloon[q], zero)
            # The pool's cash flow went to its lenders; what they did not need comes back to the parent.
            cash_before_service = cash_before_service + xp.where(
                fails, surplus - xp.maximum(pool_cash_flow[:, q], zero), zero
            )
            s.reserve[:, q] = xp.where(fails, zero, s.reserve[:, q])
            for c in pool_cohorts[q]:
                s.sold[:, c] = xp.where(fails, s.sold[:, c] + p[L.POOL_SHARE + q], s.sold[:, c])
            s.pool_defaulted[:, q] |= fails
        for q in range(pools):
            value = value - xp.where(pool_defaults_now[:, q], pool_value[:, q], zero)
        pool_value = xp.where(s.pool_defaulted, zero, pool_value)
        pool_event = pool_defaults_now.any(axis=1)
        cross_default = xp.zeros(paths, bool)
        for q in range(pools):
            if p[L.POOL_CROSS_DEFAULT + q] > 0:
                cross_default |= pool_defaults_now[:, q]
        scheduled_service = service - balloon  # what EBITDA is to cover; a balloon is refinanced or paid from cash

        # --- trailing_coverage ---
        slot = month % L.TRAILING_MONTHS
        # A fixed-charge cover: leases and power contracts on both sides (none: EBITDA / service).
        s.ebitda_trailing[:, slot] = xp.where(was_alive, ebitda + charges, s.ebitda_trailing[:, slot])
        s.service_trailing[:, slot] = xp.where(was_alive, scheduled_service + charges, s.service_trailing[:, slot])
        service_quarter = s.service_trailing.sum(axis=1)
        dscr = xp.where(service_quarter <= 0, cap, xp.clip(s.ebitda_trailing.sum(axis=1) / service_quarter, -cap, cap))

        # --- liquidity_test: cash, then the pools' reserves, then new equity pay the service, or the firm defaults ---
        debt = s.balance.sum(axis=1)  # the parent's, before the payment
        paying = was_alive & ~cross_default
        needed = xp.maximum(service - cash_before_service, zero)
        reserve_draw = xp.zeros((paths, pools), dtype)
        for q in range(pools):  # a reserve pays only its own pool's tranches
            draw = xp.minimum(xp.minimum(s.reserve[:, q], pool_service[q]), needed)
            reserve_draw[:, q] = xp.where(s.pool_defaulted[:, q], zero, draw)
            needed = needed - reserve_draw[:, q]
        available = cash_before_service + reserve_draw.sum(axis=1)
        # What is still unpaid: exactly 0 when the reserves cover the rest (cash + draws can round below S).
        short = paying & (needed > 0)
        book_equity = cash_before_service + value + s.reserve.sum(axis=1) - debt
        gross_raise = needed / (one - p[L.EQUITY_COST])
        room = p[L.EQUITY_MAX_RAISE] * book_equity - s.raised_this_year
        raises = short & (p[L.EQUITY_ENABLED] > 0) & (by_regime(L.EQUITY_OPEN) > 0)
        raises &= (book_equity > 0) & (gross_raise <= room)
        unpaid = short & ~raises
        refinancing_failure = (balloon > 0) & (available >= service - balloon)
        unpaid_cause = xp.where(refinancing_failure, L.REFINANCING, L.LIQUIDITY)
        unpaid_cause = xp.where(debt > 0, unpaid_cause, L.INSOLVENT_NO_DEBT)  # no debt: no credit default

        paid = paying & ~unpaid
        raised = xp.where(raises, gross_raise, zero)
        proceeds = raised * (one - p[L.EQUITY_COST])
        # Dilution: the holders of month 0 keep E / (E + X) of what they held.
        s.equity_share = xp.where(raises, s.equity_share * (book_equity / (book_equity + gross_raise)), s.equity_share)
        s.equity_raised = s.equity_raised + raised
        s.raised_this_year = s.raised_this_year + raised
        reserve_draw = xp.where(paid[:, None], reserve_draw, zero)
        s.reserve = s.reserve - reserve_draw
        s.balance = xp.where(paid[:, None], new_balance, s.balance)
        cash_paid = cash_before_service + reserve_draw.sum(axis=1) + proceeds - service
        cash_paid = xp.where(raises, zero, cash_paid)  # a raise covers the shortfall exactly: no cash is left
        s.cash = xp.where(paid, cash_paid, xp.where(was_alive, cash_before_service, s.cash))

        # --- borrowing_base: a balance above b_j x its collateral is prepaid from cash, or the firm defaults ---
        prepaid = full(0.0)
        base_breach = xp.zeros(paths, bool)
        for j in range(tranches):
            advance = p[L.TRANCHE_BORROWING_BASE + j]
            if advance <= 0:
                continue
            # Its pool's value, or for an unsecured tranche what no pool holds.
            unpledged = xp.maximum(value - pool_value.sum(axis=1), zero)
            collateral = pool_value[:, tranche_pool[j]] if tranche_pool[j] >= 0 else unpledged
            owed = s.balance[:, j]
            excess = owed - advance * collateral
            owes = paid & ~base_breach & (owed > 0) & (excess > 0)
            prepayment = xp.where(owes, xp.minimum(excess, xp.maximum(s.cash, zero)), zero)
            s.balance[:, j] = owed - prepayment
            s.cash = s.cash - prepayment
            prepaid = prepaid + prepayment
            base_breach |= owes & (prepayment < excess)  # later tranches are not tested
        going = paid & ~base_breach

        # --- reserves: topped up from cash to their target, released to cash above it ---
        for q in range(pools):
            target = p[L.POOL_RESERVE_MONTHS + q] * (pool_service[q] - pool_balloon[q])
            topped = xp.minimum(target, s.reserve[:, q] + xp.maximum(s.cash, zero))
            topped = xp.where(going & ~s.pool_defaulted[:, q], topped, s.reserve[:, q])
            s.cash = s.cash - (topped - s.reserve[:, q])
            s.reserve[:, q] = topped

        # --- cash_sweep: the cash flow above the cover the firm keeps goes to its lenders ---
        for j in range(tranches):
            sweep_share = p[L.TRANCHE_SWEEP + j]
            if sweep_share <= 0:
                continue
            above_cover = xp.maximum(ebitda - p[L.TRANCHE_SWEEP_DSCR + j] * scheduled_service, zero)
            owed = s.balance[:, j]
            sweep = xp.minimum(xp.minimum(sweep_share * above_cover, owed), xp.maximum(s.cash, zero))
            sweep = xp.where(going & (owed > 0), sweep, zero)
            s.balance[:, j] = owed - sweep
            s.cash = s.cash - sweep
            prepaid = prepaid + sweep

        debt_after = s.balance.sum(axis=1)
        ltv = loan_to_value(debt_after, value)  # for a default before the payment: the debt it owed

        # --- covenant_tests ---
        covenant_default = xp.zeros(paths, bool)
        covenant_cause = full(L.NO_DEFAULT, np.int32)
        if month % int(p[L.TEST_EVERY]) == 0:
            ltv_breach = (p[L.LTV_MAX] > 0) & (ltv > p[L.LTV_MAX])
            dscr_breach = (p[L.DSCR_MIN] > 0) & (service_quarter > 0) & (dscr < p[L.DSCR_MIN])
            tested = going & (debt_after > 0)
            breach = tested & (ltv_breach | dscr_breach)
            s.breaches = xp.where(breach, s.breaches + one, xp.where(tested, zero, s.breaches))
            covenant_default = breach & (s.breaches > p[L.CURE_TESTS])
            covenant_cause = xp.where(ltv_breach, L.LTV_BREACH, L.DSCR_BREACH)

        # --- the parent's end ---
        ends = cross_default | unpaid | base_breach | covenant_default
        parent_cause = xp.where(cross_default, L.POOL_DEFAULT, L.NO_DEFAULT)
        parent_cause = xp.where(unpaid, unpaid_cause, parent_cause)
        parent_cause = xp.where(base_breach, L.LTV_BREACH, parent_cause)
        parent_cause = xp.where(covenant_default, covenant_cause, parent_cause).astype(np.int32)
        # At the parent's end its lenders, if it owes any, sell every GPU it owned this month (a pool's sold
        # now among them); a firm that runs out of cash owing nothing has no lenders to sell.
        owes = (s.balance > 0).any(axis=1) if tranches else xp.zeros(paths, dtype=bool)
        gpus_sold = xp.where(ends & owes, gpus, gpus_sold)

        # --- waterfall: every tranche still owed is in default; the pools' lenders first, then the estate by rank ---
        if bool(ends.any()):
            claims = xp.where(ends[:, None] & (s.balance > 0), s.balance, zero)
            in_default = claims > 0
            s.tranche_default_month = xp.where(in_default, month, s.tranche_default_month).astype(np.int32)
            s.tranche_ead = xp.where(in_default, claims, s.tranche_ead)
            recovered = xp.zeros((paths, tranches), dtype)
            unpledged = xp.maximum(value - pool_value.sum(axis=1), zero)  # pool_value: the pools not in default
            estate = xp.where(ends, xp.maximum(s.cash, zero) + unpledged * recovery_rate, zero)
            for q in range(pools):
                assets = xp.where(
                    ends & ~s.pool_defaulted[:, q], pool_value[:, q] * recovery_rate + s.reserve[:, q], zero
                )
                paid_q, left = self._pay_by_rank(claims, assets, pool_tranches[q])
                recovered = recovered + paid_q
                claims = claims - paid_q
                estate = estate + left  # a pool's surplus joins the estate
            paid_estate, _ = self._pay_by_rank(claims, estate, recourse_tranches)
            recovered = recovered + paid_estate
            s.tranche_recovery = xp.where(in_default, recovered, s.tranche_recovery)

        # --- statistics of the paths alive at the start of the month ---
        s.discount = xp.where(was_alive, s.discount * xp.exp(-rate / dtype(12.0)), s.discount)
        s.utilization_sum = xp.where(was_alive, s.utilization_sum + utilization, s.utilization_sum)
        s.months_alive += was_alive
        s.final_log_price = xp.where(was_alive, log_price, s.final_log_price)
        s.min_cash = xp.where(was_alive, xp.minimum(s.min_cash, s.cash), s.min_cash)
        s.max_ltv = xp.where(was_alive, xp.maximum(s.max_ltv, ltv), s.max_ltv)
        s.min_dscr = xp.where(was_alive, xp.minimum(s.min_dscr, dscr), s.min_dscr)
        # A path's default is the first month a lender was not paid (a pool's or the parent's) or the firm ended.
        first_event = (s.default_month < 0) & (ends | pool_event)
        s.default_month = xp.where(first_event, month, s.default_month).astype(np.int32)
        # A parent left with no debt by a pool's default this month is no insolvency without lenders: the pool's.
        parent_first = ends & ~(pool_event & (parent_cause == L.INSOLVENT_NO_DEBT))
        s.cause = xp.where(first_event, xp.where(parent_first, parent_cause, L.POOL_DEFAULT), s.cause).astype(np.int32)
        s.alive = was_alive & ~ends

        if statement_row >= 0 and bool(was_alive[statement_row]):
            lines = statement[month - 1]
            row = statement_row
            lines[L.STATEMENT_PRICE] = xp.exp(log_price[row])
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
            lines[L.STATEMENT_UNDRAWN] = s.undrawn[row].sum()
            lines[L.STATEMENT_LAUNCHES] = launches[row]
            for j in range(L.MAX_TRANCHES):
                lines[L.STATEMENT_INTEREST + j] = interest_by_tranche[j][row] if j < tranches else zero
                lines[L.STATEMENT_PRINCIPAL + j] = principal_by_tranche[j][row] if j < tranches else zero
            lines[L.STATEMENT_REFINANCED] = refinanced_now[row]
            lines[L.STATEMENT_BACKSTOP] = backstop[row]
            lines[L.STATEMENT_PREPAID] = prepaid[row]
            lines[L.STATEMENT_RESERVE_DRAWN] = reserve_draw[row].sum()
            lines[L.STATEMENT_RESERVES] = s.reserve[row].sum()
            lines[L.STATEMENT_EQUITY_RAISED] = raised[row]
            lines[L.STATEMENT_CASH] = s.cash[row]
            # At the parent's end the exposure is the debt: what the tranches that defaulted this month owed.
            defaulted_here = s.tranche_default_month[row] == month
            exposure = xp.where(defaulted_here, s.tranche_ead[row], zero).sum()
            lines[L.STATEMENT_DEBT] = exposure if ends[row] else debt_after[row]
            lines[L.STATEMENT_FLEET_VALUE] = value[row]
            lines[L.STATEMENT_LTV] = ltv[row]
            lines[L.STATEMENT_DSCR] = dscr[row]
            lines[L.STATEMENT_BREACHES] = s.breaches[row]
            event = parent_cause[row] if ends[row] else (L.POOL_DEFAULT if pool_event[row] else L.NO_DEFAULT)
            lines[L.STATEMENT_EVENT] = event

        return MonthResult(utilization, log_price, ltv, dscr, gpus_sold)

    def finish(self, s, horizon):
        """(outputs_float, outputs_int) of state ``s`` after ``horizon`` months, laid out as in ``layout``."""
        xp, dtype, tranches = self.xp, self.dtype, self.tranches
        zero = dtype(0.0)
        # A firm alive at the horizon is valued at its last month's price surprise and resale-value index.
        value = self._firm_value(s, self._cohort_values(s, horizon, s.price_surprise, s.resale_index))
        net_worth = s.cash + value + s.reserve.sum(axis=1) - s.balance.sum(axis=1)
        equity = xp.where(s.alive, s.equity_share * s.discount * xp.maximum(net_worth, zero), zero)

        # The firm's exposure and loss are its tranches': every tranche that defaulted, in a pool or at the end.
        ead, loss = self._full(0.0), self._full(0.0)
        for j in range(tranches):
            ead = ead + s.tranche_ead[:, j]
            loss = loss + (s.tranche_ead[:, j] - s.tranche_recovery[:, j])

        outputs_float = xp.zeros((L.FLOAT_OUTPUT_COUNT, self.paths), dtype)  # unused tranche slots stay 0
        outputs_float[L.OUT_EAD] = ead
        outputs_float[L.OUT_LOSS] = loss
        outputs_float[L.OUT_FINAL_PRICE] = xp.exp(s.final_log_price)
        outputs_float[L.OUT_FINAL_CASH] = s.cash
        outputs_float[L.OUT_MIN_CASH] = s.min_cash
        outputs_float[L.OUT_MAX_LTV] = s.max_ltv
        outputs_float[L.OUT_MIN_DSCR] = s.min_dscr
        outputs_float[L.OUT_MEAN_UTILIZATION] = s.utilization_sum / s.months_alive.astype(dtype)
        outputs_float[L.OUT_EQUITY_VALUE] = equity
        outputs_float[L.OUT_EQUITY_RAISED] = s.equity_raised
        outputs_float[L.OUT_BACKSTOP_PAID] = s.backstop_paid
        outputs_float[L.OUT_TRANCHE_EAD : L.OUT_TRANCHE_EAD + tranches] = s.tranche_ead.T
        outputs_float[L.OUT_TRANCHE_RECOVERY : L.OUT_TRANCHE_RECOVERY + tranches] = s.tranche_recovery.T
        outputs_int = xp.full((L.INT_OUTPUT_COUNT, self.paths), -1, np.int32)  # unused tranche slots: not in default
        outputs_int[L.OUT_DEFAULT_MONTH] = s.default_month
        outputs_int[L.OUT_DEFAULT_CAUSE] = s.cause
        outputs_int[L.OUT_TRANCHE_DEFAULT_MONTH : L.OUT_TRANCHE_DEFAULT_MONTH + tranches] = s.tranche_default_month.T
        return outputs_float, outputs_int

"""One month of one firm on every path (``kernels/firm.py`` and the firm's part of ``kernels/path.py``).

``ArrayFirm.month`` runs the kernels' named sub-steps in the kernels' order; each
reads and writes the firm's state (``FirmArrays``) and the month's working values
(``Month``).
"""

import numpy as np

from ...kernels import layout as L
from .capital import cover_shortfall, manage_cash, pay_service, pool_tests, pool_values, settle_parent
from .claims import lease_adjusted, lease_cause, lease_claim
from .contracts import contracts
from .covenants import covenant_tests, loan_to_value, trailing_coverage, unpaid_cause
from .debt_service import debt_service
from .equity import convert_notes
from .fleet import deliveries, fleet, fleet_value
from .funding import close_facilities
from .obligors import record_obligor_defaults
from .operations import operating_cash_flow, utilization_step
from .response import count_short_months, sell_unpledged
from .revolvers import draw_revolvers, repay_revolvers
from .support import support_counterparties
from .terminal import terminal_shortfall


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


class Month:
    """The month's working values on every path, handed from sub-step to sub-step.

    What the kernels keep in locals and in the state vector: the month, the
    market's regime and rate, the firm's draws, then what each sub-step finds
    (capex, EBITDA, service due, ...), named as the kernels name them.
    """

    def __init__(self, firm, s, month, market, draws_now):
        p, full = firm.p, firm.full
        self.p, self.xp = p, firm.xp
        self.month, self.month_number = month, firm.dtype(month)
        self.regime, self.rate, self.launches = market.regime, market.rate, market.launches
        self.planned_log_price = market.planned_log_price
        (_, self.e_utilization, _, self.e_basis), uniforms, self.renewal_draws, self.slip_draws, closings, _ = draws_now
        self.closing_draws = closings
        self.obligors_defaulted = market.defaulted  # paths x obligors (``market.obligor_step``)
        _, _, *self.customer_draws, self.u_backstop, self.u_vendor = uniforms
        if p[L.BASE_CASE] > 0:  # the plan: no shock, and a uniform of 1 is below no probability
            self.e_utilization = self.e_basis = full(0.0)
            self.u_backstop = self.u_vendor = full(1.0)
            self.customer_draws = [full(1.0)] * len(self.customer_draws)
            self.renewal_draws = [full(1.0)] * len(self.renewal_draws)
            self.slip_draws = [full(1.0)] * len(self.slip_draws)
            self.closing_draws = [full(1.0)] * len(self.closing_draws)
        self.was_alive = s.alive.copy()

    def by_regime(self, index):
        """Parameter ``index`` (shortage) or ``index + 1`` (glut) for every path."""
        return self.xp.where(self.regime == 1, self.p[index + 1], self.p[index])

    def by_regime_of(self, index, offset):
        """Parameter ``index`` + ``offset`` in shortage, or ``offset`` blocks of MAX_CUSTOMERS further in glut."""
        return self.xp.where(self.regime == 1, self.p[index + L.MAX_CUSTOMERS + offset], self.p[index + offset])


class MonthResult:
    """What a firm's month reports besides its state: utilization, ln P_f, LTV, DSCR, GPUs sold (per path)."""

    def __init__(self, utilization, log_price, ltv, dscr, gpus_sold, values):
        self.values = values  # the month's working values (``Month``), for its statement
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
        self.obligors = int(p[L.OBLIGOR_COUNT])
        self.tranches = tranches = int(p[L.TRANCHE_COUNT])
        self.pools = pools = int(p[L.POOL_COUNT])
        self.cohort_count = cohort_count = int(p[L.COHORT_COUNT])
        self.customer_cohort = [int(p[L.CUSTOMER_COHORT + i]) for i in range(self.customers)]
        self.amortization = [int(p[L.TRANCHE_AMORTIZATION + j]) for j in range(tranches)]
        self.revolvers = [j for j in range(tranches) if p[L.TRANCHE_REVOLVING + j] > 0]
        self.unsigned = [j for j in range(tranches) if p[L.TRANCHE_UNSIGNED + j] > 0]
        self.convertibles = [j for j in range(tranches) if p[L.TRANCHE_CONVERSION_PRICE + j] > 0]
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

    def full(self, value, kind=None):
        return self.xp.full(self.paths, value, dtype=self.dtype if kind is None else kind)

    def start(self, market):
        """The firm's state at month 0 on every path, in the market ``market`` (an ``ArrayMarket`` at month 0)."""
        p, xp, dtype, paths = self.p, self.xp, self.dtype, self.paths
        full = self.full
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
        signed = tranche_values(L.TRANCHE_UNSIGNED) <= 0  # an unsigned facility lends once it closes
        return FirmArrays(
            xp,
            utilization_logit=full(p[L.UTILIZATION_LOGIT_INITIAL]),
            cash=cash,
            breaches=full(0.0),
            delivery=delivery,
            launch_credit=xp.zeros((paths, cohort_count), dtype),
            customer_alive=xp.ones((paths, self.customers), bool),
            obligor_default_month=xp.zeros((paths, self.obligors), np.int32),  # 0: not (yet)
            contract_price=xp.tile(xp.asarray(p[L.CUSTOMER_PRICE : L.CUSTOMER_PRICE + self.customers]), (paths, 1)),
            contract_end=contract_end,
            balance=xp.where(signed, tranche_values(L.TRANCHE_PRINCIPAL), dtype(0.0)),
            undrawn=xp.where(signed, tranche_values(L.TRANCHE_COMMITMENT), dtype(0.0)),
            closing_month=xp.where(signed, 0, -1).astype(np.int32),  # 0: signed at the cut-off, -1: not closed
            closing_failed=xp.full((paths, tranches), -1, np.int32),
            floating=tranche_values(L.TRANCHE_FLOATING) > 0,
            coupon=tranche_values(L.TRANCHE_RATE),
            maturity=tranche_values(L.TRANCHE_MATURITY),
            extended=xp.zeros((paths, tranches), dtype),  # months a revolver has been extended
            ebitda_trailing=xp.zeros((paths, L.TRAILING_MONTHS), dtype),
            service_trailing=xp.zeros((paths, L.TRAILING_MONTHS), dtype),
            # The capital structure's state.
            sold=xp.zeros((paths, cohort_count), dtype),  # s_c: share of each cohort sold by defaulted pools' lenders
            pool_defaulted=xp.zeros((paths, pools), bool),
            reserve=xp.zeros((paths, pools), dtype),  # debt-service reserve accounts
            tranche_default_month=xp.full((paths, tranches), -1, np.int32),
            tranche_ead=xp.zeros((paths, tranches), dtype),
            tranche_recovery=xp.zeros((paths, tranches), dtype),  # undiscounted, net of costs
            # What it came from (the rest: reserves and cash).
            tranche_recovery_gpus=xp.zeros((paths, tranches), dtype),
            tranche_recovery_contracts=xp.zeros((paths, tranches), dtype),
            tranche_recovery_enterprise=xp.zeros((paths, tranches), dtype),
            lease_claim=full(0.0),  # the fixed charges' counterparties' claims at the parent's default
            lease_recovery=full(0.0),
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
            end_month=full(-1, np.int32),  # the month the parent ended (-1: alive at the horizon)
            min_cash=cash.copy(),
            max_ltv=full(0.0),
            last_ltv=full(0.0),
            deferred=xp.zeros((paths, cohort_count), dtype),  # months each delivery waited for the firm's cash
            months_short=full(0.0),
            opex_cut=full(False, bool),
            min_dscr=full(L.RATIO_CAP),
            utilization_sum=full(0.0),
            discount=full(1.0),
            months_alive=full(0, np.int64),
            final_log_price=market.log_price.copy(),
        )

    def month(self, s, month, market, draws_now, index):
        """Step state ``s`` (in place) through ``month`` of ``market`` at resale-value index ``index``.

        ``market`` is the ``ArrayMarket`` after its step into ``month``;
        ``draws_now`` this firm's draws of the month (``draws.philox_draws``: only the
        firm's parts are read); ``index`` a scalar or one per path. Paths where
        the firm is not alive keep their outputs. Returns a ``MonthResult``.
        """
        m = Month(self, s, month, market, draws_now)
        record_obligor_defaults(self, s, m)
        m.utilization = utilization_step(self, s, m, market.e_price, market.e_rate, m.e_utilization)
        firm_price(self, s, m, market, index)
        open_month(self, s, m)
        support_counterparties(self, s, m)
        close_facilities(self, s, m)
        m.capex, m.drawn = deliveries(self, s, m)
        m.penalties = contracts(self, s, m)
        m.cohort_value = fleet(self, s, month, m.surprise, index)
        m.ebitda = operating_cash_flow(self, s, m)
        m.cash_before_service = s.cash + m.ebitda - m.capex + m.drawn
        m.value = fleet_value(self, s, m.cohort_value)
        pool_values(self, s, m)
        convert_notes(self, s, m)
        m.debt = s.balance.sum(axis=1)
        m.ltv_before = loan_to_value(self, m.debt, m.value)
        debt_service(self, s, m)
        pool_tests(self, s, m)
        m.scheduled_service = m.service - m.balloon  # what EBITDA is to cover; a balloon is refinanced or from cash
        m.dscr, m.service_quarter = trailing_coverage(self, s, m)
        draw_revolvers(self, s, m)
        sell_unpledged(self, s, m)
        cover_shortfall(self, s, m)
        m.unpaid_cause = unpaid_cause(self, m)
        if self.p[L.CLAIMS_ON] > 0:
            m.unpaid_cause = lease_cause(self, m, m.unpaid_cause)
        pay_service(self, s, m)
        manage_cash(self, s, m)
        repay_revolvers(self, s, m)
        count_short_months(self, s, m)
        m.debt_after = s.balance.sum(axis=1)
        m.ltv = loan_to_value(self, m.debt_after, m.value)  # for a default before the payment: the debt it owed
        covenant_default, covenant_cause = covenant_tests(self, s, m, m.debt_after, m.ltv)
        parent_end(self, s, m, covenant_default, covenant_cause)
        if bool(m.ends.any()):
            settle_parent(self, s, m)
        record_month(self, s, m)
        return MonthResult(m.utilization, m.log_price, m.ltv, m.dscr, m.gpus_sold, m)

    def finish(self, s, horizon, m):
        """(outputs_float, outputs_int) of state ``s`` after ``horizon`` months, laid out as in ``layout``; ``m``: the
        last month's working values (the terminal test's)."""
        xp, dtype, tranches = self.xp, self.dtype, self.tranches
        zero = dtype(0.0)
        # A firm alive at the horizon is valued at its last month's price surprise and resale-value index.
        value = fleet_value(self, s, fleet(self, s, horizon, s.price_surprise, s.resale_index))
        net_worth = s.cash + value + s.reserve.sum(axis=1) - s.balance.sum(axis=1)
        equity = xp.where(s.alive, s.equity_share * s.discount * xp.maximum(net_worth, zero), zero)

        # The firm's exposure and loss are its tranches': every tranche that defaulted, in a pool or at the end.
        # Recovered at the sale, W months after the default: reported at its value at default.
        present_value = self.p[L.RECOVERY_PV_FACTOR]
        ead, loss, loss_undiscounted = self.full(0.0), self.full(0.0), self.full(0.0)
        for j in range(tranches):
            ead = ead + s.tranche_ead[:, j]
            loss = loss + (s.tranche_ead[:, j] - s.tranche_recovery[:, j] * present_value)
            loss_undiscounted = loss_undiscounted + (s.tranche_ead[:, j] - s.tranche_recovery[:, j])

        outputs_float = xp.zeros((L.FLOAT_OUTPUT_COUNT, self.paths), dtype)  # unused tranche slots stay 0
        outputs_float[L.OUT_EAD] = ead
        outputs_float[L.OUT_LOSS] = loss
        outputs_float[L.OUT_LOSS_UNDISCOUNTED] = loss_undiscounted
        outputs_float[L.OUT_FINAL_PRICE] = xp.exp(s.final_log_price)
        outputs_float[L.OUT_FINAL_CASH] = s.cash
        outputs_float[L.OUT_MIN_CASH] = s.min_cash
        outputs_float[L.OUT_MAX_LTV] = s.max_ltv
        outputs_float[L.OUT_MIN_DSCR] = s.min_dscr
        outputs_float[L.OUT_MEAN_UTILIZATION] = s.utilization_sum / s.months_alive.astype(dtype)
        outputs_float[L.OUT_EQUITY_VALUE] = equity
        outputs_float[L.OUT_EQUITY_RAISED] = s.equity_raised
        outputs_float[L.OUT_BACKSTOP_PAID] = s.backstop_paid
        outputs_float[L.OUT_LEASE_CLAIM] = s.lease_claim
        outputs_float[L.OUT_LEASE_RECOVERY] = s.lease_recovery * present_value
        # Lease-adjusted debt in the path's last month: what it owed at the parent's end, or at the horizon.
        ended = s.end_month > 0
        at_end = s.tranche_default_month == s.end_month[:, None]
        owed_at_end = xp.where(at_end, s.tranche_ead, zero).sum(axis=1)
        last_month = xp.where(ended, s.end_month, horizon).astype(dtype)
        debt_last = xp.where(ended, owed_at_end, s.balance.sum(axis=1))
        _, adjusted, leverage = lease_adjusted(self, s, last_month, debt_last)
        outputs_float[L.OUT_LEASE_ADJUSTED_DEBT] = adjusted
        outputs_float[L.OUT_LEASE_ADJUSTED_LEVERAGE] = leverage
        outputs_float[L.OUT_TERMINAL_SHORTFALL] = terminal_shortfall(self, s, m, value)
        outputs_float[L.OUT_TRANCHE_EAD : L.OUT_TRANCHE_EAD + tranches] = s.tranche_ead.T
        for row, recovered in (
            (L.OUT_TRANCHE_RECOVERY, s.tranche_recovery),
            (L.OUT_TRANCHE_RECOVERY_GPUS, s.tranche_recovery_gpus),
            (L.OUT_TRANCHE_RECOVERY_CONTRACTS, s.tranche_recovery_contracts),
            (L.OUT_TRANCHE_RECOVERY_ENTERPRISE_VALUE, s.tranche_recovery_enterprise),
        ):
            outputs_float[row : row + tranches] = (recovered * present_value).T
        outputs_int = xp.full((L.INT_OUTPUT_COUNT, self.paths), -1, np.int32)  # unused tranche slots: not in default
        outputs_int[L.OUT_DEFAULT_MONTH] = s.default_month
        outputs_int[L.OUT_DEFAULT_CAUSE] = s.cause
        outputs_int[L.OUT_TRANCHE_DEFAULT_MONTH : L.OUT_TRANCHE_DEFAULT_MONTH + tranches] = s.tranche_default_month.T
        first_failure = self.full(-1, np.int32)  # the first month a facility failed to close; -1: none did
        for j in self.unsigned:
            failed = s.closing_failed[:, j]
            earlier = (failed > 0) & ((first_failure < 0) | (failed < first_failure))
            first_failure = xp.where(earlier, failed, first_failure)
        outputs_int[L.OUT_FUNDING_FAILED_MONTH] = first_failure
        outputs_int[L.OUT_TRANCHE_CLOSING_MONTH : L.OUT_TRANCHE_CLOSING_MONTH + L.MAX_TRANCHES] = 0  # as signed
        outputs_int[L.OUT_TRANCHE_CLOSING_MONTH : L.OUT_TRANCHE_CLOSING_MONTH + tranches] = s.closing_month.T
        outputs_int[L.OUT_TRANCHE_CLOSING_FAILED : L.OUT_TRANCHE_CLOSING_FAILED + tranches] = s.closing_failed.T
        obligor_months = xp.where(s.obligor_default_month > 0, s.obligor_default_month, -1)
        outputs_int[L.OUT_OBLIGOR_DEFAULT_MONTH : L.OUT_OBLIGOR_DEFAULT_MONTH + self.obligors] = obligor_months.T
        return outputs_float, outputs_int


def firm_price(firm, s, m, market, index):
    """The firm's price: ln P_f = ln P + (loading - 1)(ln P - planned ln P) + b, b an OU in ln price.

    Sets ``m.log_price`` and ``m.surprise`` = ln P_f - planned ln P, what moves collateral values.
    """
    p, xp, one = firm.p, firm.xp, firm.dtype(1.0)
    was_alive, planned_log_price = m.was_alive, m.planned_log_price
    s.log_basis = xp.where(was_alive, s.log_basis * p[L.BASIS_DECAY] + p[L.BASIS_SHOCK] * m.e_basis, s.log_basis)
    log_price = market.log_price + (p[L.BASIS_LOADING] - one) * (market.log_price - planned_log_price) + s.log_basis
    m.log_price, m.surprise = log_price, log_price - planned_log_price
    s.price_surprise = xp.where(was_alive, m.surprise, s.price_surprise)
    s.resale_index = xp.where(was_alive, index, s.resale_index)


def open_month(firm, s, m):
    """A new year of equity room: months 1-12, 13-24, ..."""
    if (m.month - 1) % L.MONTHS_PER_YEAR == 0:
        s.raised_this_year = firm.full(0.0)


def parent_end(firm, s, m, covenant_default, covenant_cause):
    """Whether and why the parent ends this month (``m.ends``, ``m.parent_cause``), and the GPUs its lenders sell.

    At the parent's end its lenders, if it owes any, sell every GPU it owned this
    month (a pool's sold now among them); a firm that runs out of cash owing nothing
    has no lenders to sell.
    """
    xp = firm.xp
    ends = m.cross_default | m.unpaid | m.base_breach | covenant_default
    parent_cause = xp.where(m.cross_default, L.POOL_DEFAULT, L.NO_DEFAULT)
    parent_cause = xp.where(m.unpaid, m.unpaid_cause, parent_cause)
    parent_cause = xp.where(m.base_breach, L.LTV_BREACH, parent_cause)
    m.parent_cause = xp.where(covenant_default, covenant_cause, parent_cause).astype(np.int32)
    owes = (s.balance > 0).any(axis=1) if firm.tranches else xp.zeros(firm.paths, dtype=bool)
    if firm.p[L.CLAIMS_ON] > 0:  # the firm rejects its leases and contracts: their counterparties claim
        s.lease_claim = xp.where(ends, lease_claim(firm, s, m), s.lease_claim)
        owes = owes | (ends & (s.lease_claim > 0))
    m.gpus_sold = xp.where(ends & owes, m.gpus, m.gpus_sold)
    m.ends = ends


def record_month(firm, s, m):
    """The statistics of the paths alive at the start of the month, and the path's default."""
    xp, dtype = firm.xp, firm.dtype
    was_alive, ends, pool_event = m.was_alive, m.ends, m.pool_event
    s.discount = xp.where(was_alive, s.discount * xp.exp(-m.rate / dtype(12.0)), s.discount)
    s.utilization_sum = xp.where(was_alive, s.utilization_sum + m.utilization, s.utilization_sum)
    s.months_alive += was_alive
    s.final_log_price = xp.where(was_alive, m.log_price, s.final_log_price)
    s.min_cash = xp.where(was_alive, xp.minimum(s.min_cash, s.cash), s.min_cash)
    s.max_ltv = xp.where(was_alive, xp.maximum(s.max_ltv, m.ltv), s.max_ltv)
    s.last_ltv = xp.where(was_alive, m.ltv, s.last_ltv)
    s.min_dscr = xp.where(was_alive, xp.minimum(s.min_dscr, m.dscr), s.min_dscr)
    # A path's default is the first month a lender was not paid (a pool's or the parent's) or the firm ended.
    first_event = (s.default_month < 0) & (ends | pool_event)
    s.default_month = xp.where(first_event, m.month, s.default_month).astype(np.int32)
    # A parent left with no debt by a pool's default this month is no insolvency without lenders: the pool's.
    parent_first = ends & ~(pool_event & (m.parent_cause == L.INSOLVENT_NO_DEBT))
    s.cause = xp.where(first_event, xp.where(parent_first, m.parent_cause, L.POOL_DEFAULT), s.cause).astype(np.int32)
    s.end_month = xp.where(was_alive & ends, m.month, s.end_month).astype(np.int32)
    s.alive = was_alive & ~ends

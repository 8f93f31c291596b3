"""Index constants for the flat arrays that the kernels read and write.

A scenario is one row of a float parameter matrix; a path's firm state is a
small float scratch vector; outputs are column-major matrices (one row per
output column, one column per path) so that GPU threads write coalesced and
the host turns rows into Arrow columns without copies.

Every constant is a plain module-level ``int`` so that numba folds it into the
compiled code on both targets. The host side (``gpu_stress.params``) fills the
parameter vector using these same names: the two can never drift apart.
"""

MONTHS_PER_YEAR = 12
HOURS_PER_MONTH = 730

MAX_CUSTOMERS = 4
MAX_COHORTS = 4
MAX_TRANCHES = 10
MAX_UNSIGNED = 4  # facilities not yet signed at the cut-off (one closing uniform each)
MAX_OBLIGATIONS = 8  # fixed charges: the cohorts' data-centre leases and [[obligations]] together
MAX_POOLS = 4  # security pools: a share of some cohorts (and their contracts' cash flows) pledged to tranches
MAX_OBLIGORS = 8  # named obligors (a run's, shared by every firm of a portfolio): two market blocks of uniforms
MAX_RANK = 4  # seniority ranks, 1 (most senior) .. MAX_RANK
TRAILING_MONTHS = 3  # DSCR looks at a trailing quarter

# Reported ratios are clipped to +-RATIO_CAP so that outputs stay finite when
# the collateral is worthless (LTV) or debt service is zero (DSCR).
RATIO_CAP = 1000.0


class _Slots:
    """Hands out consecutive indices; ``size`` > 1 reserves a block.

    A ``name`` names the slot's column (``name_0``, ``name_1`` ... for a block)
    where the slot is declared, so names and indices cannot drift apart.
    """

    def __init__(self):
        self.count = 0
        self.names = []

    def __call__(self, size=1, name=None):
        index = self.count
        self.count += size
        if name is not None:
            self.names += [name] if size == 1 else [f"{name}_{k}" for k in range(size)]
        if self.names and len(self.names) != self.count:
            raise ValueError("in a table of named slots every slot needs a name")
        return index


_param = _Slots()

# --- the run ---
BASE_CASE = _param(name="base_case")  # 1: every shock zero and no random event (a deterministic path), 0: Monte Carlo
CENTRAL_CASE = _param(name="central_case")  # 1 (with BASE_CASE): the market follows the planned path (the central case)

# --- market (all rates per month, already multiplied by dt on the host) ---
LOG_PRICE_INITIAL = _param(name="log_price_initial")  # ln P(0), P in $/GPU-hour
REGIME_INITIAL = _param(name="regime_initial")  # 0 = shortage, 1 = glut
SWITCH_PROBABILITY = _param(2, name="switch_probability")  # [regime] monthly probability of leaving it
LOG_DRIFT = _param(2, name="log_drift")  # [regime] (mu - sigma^2/2) dt
LOG_VOLATILITY = _param(2, name="log_volatility")  # [regime] sigma sqrt(dt)
JUMP_PROBABILITY = _param(name="jump_probability")  # lambda dt: a new GPU generation launches this month
LOG_JUMP = _param(name="log_jump")  # ln(1 - d)
# planned ln P drift a month: the initial regime's (mu - sigma^2/2) dt + lambda dt ln(1 - d)
REFERENCE_LOG_DRIFT = _param(name="reference_log_drift")
# the planned path's regime: [0] long-run P(glut), [1] the chain's decay 1 - p_sg - p_gs, [2] glut's log drift less
# shortage's (P(glut) after m months = [0] + (initial - [0]) [1]^m; a chain that cannot leave its initial regime:
# initial, 1, 0)
PLANNED_REGIME = _param(3, name="planned_regime")
FLOOR_ENABLED = _param(name="floor_enabled")
LOG_PRICE_FLOOR = _param(name="log_price_floor")  # ln(phi x cash cost per GPU-hour)
RATE_INITIAL = _param(name="rate_initial")  # annual short rate
RATE_MEAN = _param(name="rate_mean")
RATE_DECAY = _param(name="rate_decay")  # exp(-a dt)
RATE_SHOCK = _param(name="rate_shock")  # sd of the exact Vasicek step
# Stress overlays (``[overlay]``, ``[[stress]]``): deterministic events by month on top of the random
# market, each inert at its neutral value (0 or -1), so a zero-size overlay is the baseline to the last bit.
STRESS_REGIME = _param(name="stress_regime")  # -1: none; 0 shortage, 1 glut, forced in months [start, end]
STRESS_REGIME_START = _param(name="stress_regime_start")
STRESS_REGIME_END = _param(name="stress_regime_end")
STRESS_PRICE_LOG_STEP = _param(name="stress_price_log_step")  # ln(multiplier) / months, added each month
STRESS_PRICE_START = _param(name="stress_price_start")  # first and last month of the price shock's ramp
STRESS_PRICE_END = _param(name="stress_price_end")
STRESS_RATE_SHIFT = _param(name="stress_rate_shift")  # annual, added to the short rate from its start on
STRESS_RATE_START = _param(name="stress_rate_start")
STRESS_LAUNCH_MONTH = _param(name="stress_launch_month")  # a generation launches this month (0: none)
CHOLESKY = _param(6, name="cholesky")  # lower triangle for (price, rate, utilization): l00 l10 l11 l20 l21 l22
# What the market step reads (the firm's utilization row of the factor is the firm's): in a portfolio
# every firm holds the first firm's values here.
MARKET_PARAMETERS = (LOG_PRICE_INITIAL, CHOLESKY + 3)  # [start, end)

# --- the fleet: up to MAX_COHORTS cohorts of GPUs, each retiring on its own ---
COHORT_COUNT = _param(name="cohort_count")
COHORT_GPUS = _param(MAX_COHORTS, name="cohort_gpus")  # GPUs
COHORT_COST = _param(MAX_COHORTS, name="cohort_cost")  # GPUs x cost per GPU, $: the cohort's value new
COHORT_AGE_INITIAL = _param(MAX_COHORTS, name="cohort_age_initial")  # age at month 0 (< 0: delivered later)
COHORT_USEFUL_LIFE = _param(MAX_COHORTS, name="cohort_useful_life")  # months; it earns and holds value only before
COHORT_LOG_DECAY = _param(MAX_COHORTS, name="cohort_log_decay")  # ln(1 - annual decay) / 12, per month of age
COHORT_POWER_FULL = _param(MAX_COHORTS, name="cohort_power_full")  # $ a month of power with every GPU busy
# The rental price of its generation: ln(price / market price at month 0), and 1 if its generation is
# the newest when it is delivered (launches before its delivery do not cut it).
COHORT_LOG_PRICE_RATIO = _param(MAX_COHORTS, name="cohort_log_price_ratio")
COHORT_NEWEST = _param(MAX_COHORTS, name="cohort_newest")
COHORT_DEPOSIT = _param(MAX_COHORTS, name="cohort_deposit")  # $ paid ahead of delivery, in COHORT_DEPOSIT_MONTH
COHORT_DEPOSIT_MONTH = _param(MAX_COHORTS, name="cohort_deposit_month")  # < 1: paid before month 1 (not modelled)
COHORT_FIXED_DELAY = _param(MAX_COHORTS, name="cohort_fixed_delay")  # months a planned delivery is known to slip
COHORT_SLIPS = _param(MAX_COHORTS, name="cohort_slips")  # 1: the delivery can slip at random (planned cohorts)
COHORT_DELIVERY_MONTHS = _param(MAX_COHORTS, name="cohort_delivery_months")  # equal monthly tranches (1: at once)
# Each month a due delivery slips one more month with this probability, at most DELAY_MAX months in all.
SLIP_PROBABILITY = _param(2, name="slip_probability")  # [regime]
DELAY_MAX = _param(name="delay_max")  # months of random slip at most

# --- firm, $ per month unless stated ---
# Utilization is the firm's: the market's regime sets its long-run level, its own shock moves it.
UTILIZATION_LOGIT_MEAN = _param(2, name="utilization_logit_mean")  # [regime] logit of the long-run utilization
UTILIZATION_LOGIT_INITIAL = _param(name="utilization_logit_initial")
UTILIZATION_DECAY = _param(name="utilization_decay")  # exp(-kappa dt)
UTILIZATION_SHOCK = _param(name="utilization_shock")  # sd of the exact OU step
IDLE_POWER_FRACTION = _param(name="idle_power_fraction")
OPEX_PER_GPU = _param(name="opex_per_gpu")  # $ per GPU in service per month
FIXED_OPEX = _param(name="fixed_opex")
CASH_INITIAL = _param(name="cash_initial")  # $
PRICE_ELASTICITY = _param(name="price_elasticity")  # collateral value ~ (P / planned P)^elasticity
FIRE_SALE_RECOVERY = _param(name="fire_sale_recovery")  # 1 - fire-sale haircut
# --- recovery: the workout from default to the creditors' money (``recovery``) ---
RECOVERY_WORKOUT_MONTHS = _param(name="recovery_workout_months")  # months from default to the sale
RECOVERY_NET = _param(name="recovery_net")  # 1 - recovery costs (a share of gross recovery)
RECOVERY_LOG_DISCOUNT = _param(name="recovery_log_discount")  # ln(1 + annual discount rate) / 12
RECOVERY_PV_FACTOR = _param(name="recovery_pv_factor")  # (1 + rate)^(-workout / 12): the sale's $ at default
RECOVERY_CONTRACTS = _param(name="recovery_contracts")  # 1: secured pools sell surviving contracts as going concerns
RECOVERY_EV_MULTIPLE = _param(name="recovery_ev_multiple")  # EV / contracted forward EBITDA at default; 0: no EV rule

# --- fixed charges (data-centre leases, power contracts) ---
OBLIGATION_COUNT = _param(name="obligation_count")
OBLIGATION_AMOUNT = _param(MAX_OBLIGATIONS, name="obligation_amount")  # $ a month in its first month
OBLIGATION_START = _param(MAX_OBLIGATIONS, name="obligation_start")  # first month charged
OBLIGATION_END = _param(MAX_OBLIGATIONS, name="obligation_end")  # last month charged
OBLIGATION_LOG_ESCALATION = _param(MAX_OBLIGATIONS, name="obligation_log_escalation")  # ln(1 + g) / 12 a month
# Their counterparties as creditors ([claims]): at the parent's default each claims what it is owed, and
# a missed payment is a default of its own (LEASE). A real-property lease's damages are capped (CAPPED 1).
CLAIMS_ON = _param(name="claims_on")  # 1: fixed charges are claims; 0: they are costs only
CLAIMS_RANK = _param(name="claims_rank")  # their rank in the estate (1 .. MAX_RANK)
LEASE_LOG_DISCOUNT = _param(name="lease_log_discount")  # ln(1 + rate) / 12: the lease liability's discount
OBLIGATION_CAPPED = _param(MAX_OBLIGATIONS, name="obligation_capped")  # 1: real property (11 U.S.C. 502(b)(6))
OBLIGATION_CLAIM_SHARE = _param(MAX_OBLIGATIONS, name="obligation_claim_share")  # of the damages, claimed

# --- backlog contracts (take-or-pay) ---
# A contract covers a share of one cohort's GPUs from that cohort's delivery, or (cohort -1) a share
# of every cohort in service from month 1; it renews at expiry at the then-current price less a discount.
CUSTOMER_COUNT = _param(name="customer_count")
CUSTOMER_COHORT = _param(MAX_CUSTOMERS, name="customer_cohort")  # cohort index, -1 = the whole fleet
CUSTOMER_SHARE = _param(MAX_CUSTOMERS, name="customer_share")  # share of the cohort's (or fleet's) GPUs
CUSTOMER_PRICE = _param(MAX_CUSTOMERS, name="customer_price")  # $/GPU-hour
CUSTOMER_END = _param(MAX_CUSTOMERS, name="customer_end")  # last month of the first term (fleet contracts)
CUSTOMER_TERM = _param(MAX_CUSTOMERS, name="customer_term")  # months of a term (cohort contracts, renewals)
CUSTOMER_TAKE_OR_PAY = _param(MAX_CUSTOMERS, name="customer_take_or_pay")  # share paid whether used or not
# [MAX_CUSTOMERS x regime + customer]: monthly default probability, probability of renewal at expiry
CUSTOMER_HAZARD = _param(2 * MAX_CUSTOMERS, name="customer_hazard")
CUSTOMER_RENEWAL = _param(2 * MAX_CUSTOMERS, name="customer_renewal")
CUSTOMER_RENEWAL_DISCOUNT = _param(MAX_CUSTOMERS, name="customer_renewal_discount")  # to the spot price
CUSTOMER_DELAY_LIMIT = _param(MAX_CUSTOMERS, name="customer_delay_limit")  # months late before its remedy applies
CUSTOMER_TERMINATES = _param(MAX_CUSTOMERS, name="customer_terminates")  # 1: it may walk away past the limit
CUSTOMER_DELAY_PENALTY = _param(MAX_CUSTOMERS, name="customer_delay_penalty")  # share of a month's value, per month
CUSTOMER_DEFAULT_MONTH = _param(MAX_CUSTOMERS, name="customer_default_month")  # a stress: it defaults then (0: no)

# --- debt tranches ---
TRANCHE_COUNT = _param(name="tranche_count")
RATE_FLOOR = _param(name="rate_floor")  # floating coupons pay max(rate, floor) + spread
TRANCHE_PRINCIPAL = _param(MAX_TRANCHES, name="tranche_principal")  # $
TRANCHE_FLOATING = _param(MAX_TRANCHES, name="tranche_floating")  # 0 fixed, 1 floating
TRANCHE_RATE = _param(MAX_TRANCHES, name="tranche_rate")  # annual: the coupon if fixed, the spread if floating
TRANCHE_AMORTIZATION = _param(MAX_TRANCHES, name="tranche_amortization")  # BULLET | LINEAR | ANNUITY
TRANCHE_MATURITY = _param(MAX_TRANCHES, name="tranche_maturity")  # month the last payment is due
# 1: its last scheduled maturity (a revolver's with every extension) is after the horizon (the terminal test's)
TRANCHE_CUT_OFF = _param(MAX_TRANCHES, name="tranche_cut_off")
# Delayed-draw term loans: an undrawn commitment drawn at the deliveries of the cohorts it funds until
# the end of its draw window (interest only until then), then it lapses and the drawn balance amortizes.
TRANCHE_COMMITMENT = _param(MAX_TRANCHES, name="tranche_commitment")  # $ undrawn at month 0
TRANCHE_DRAW_END = _param(MAX_TRANCHES, name="tranche_draw_end")  # last month of the draw window (0: none)
TRANCHE_ADVANCE_RATE = _param(MAX_TRANCHES, name="tranche_advance_rate")  # share of a delivered cohort's cost
TRANCHE_UNDRAWN_FEE = _param(MAX_TRANCHES, name="tranche_undrawn_fee")  # annual, on the undrawn commitment
TRANCHE_FUNDS = _param(MAX_TRANCHES, name="tranche_funds")  # bit c set: it funds (and is secured on) cohort c

# --- covenants and refinancing ---
LTV_MAX = _param(name="ltv_max")  # 0 = off
DSCR_MIN = _param(name="dscr_min")  # 0 = off
TEST_EVERY = _param(name="test_every")  # months between covenant tests
CURE_TESTS = _param(name="cure_tests")  # breaches tolerated in a row
REFINANCING_ENABLED = _param(name="refinancing_enabled")
REFINANCING_MAX_LTV = _param(name="refinancing_max_ltv")
REFINANCING_OPEN = _param(2, name="refinancing_open")  # [regime] 1 if lenders refinance in that regime
REFINANCING_SPREAD = _param(2, name="refinancing_spread")  # [regime] annual spread of the new floating loan
REFINANCING_TERM = _param(name="refinancing_term")  # months
REFINANCING_PARTIAL = _param(name="refinancing_partial")  # 1: up to max LTV x V; 0: all or nothing
REFINANCING_LEVERAGE_SPREAD = _param(name="refinancing_leverage_spread")  # annual spread per unit of LTV
REFINANCING_WINDOW = _param(name="refinancing_window")  # months before maturity a tranche can be refinanced early
REFINANCING_LENDER_TESTS = _param(name="refinancing_lender_tests")  # 1: by security (pool LTV; leverage, cover)
REFINANCING_MAX_LEVERAGE = _param(name="refinancing_max_leverage")  # debt / annualized EBITDA, unsecured (0 off)
REFINANCING_MIN_COVER = _param(name="refinancing_min_cover")  # annualized EBITDA / interest, unsecured (0 off)
REFINANCING_CAPACITY = _param(2, name="refinancing_capacity")  # [regime] share of the tests' capacity lenders offer

# --- capital structure: security pools, seniority, facility mechanics ---
# A pool holds POOL_SHARE of each cohort in its bit mask (those GPUs and the cash flows of their
# contracts); its tranches recover from it first. A ring-fenced pool serves its tranches from its own
# cash flow and reserve and defaults on its own when they fall short.
POOL_COUNT = _param(name="pool_count")
POOL_COHORTS = _param(MAX_POOLS, name="pool_cohorts")  # bit c set: the pool holds a share of cohort c
POOL_SHARE = _param(MAX_POOLS, name="pool_share")  # share of each of its cohorts pledged
POOL_RESERVE_MONTHS = _param(MAX_POOLS, name="pool_reserve_months")  # debt-service reserve, months of service
POOL_RING_FENCED = _param(MAX_POOLS, name="pool_ring_fenced")  # 1: served by its own cash flow alone
POOL_CROSS_DEFAULT = _param(MAX_POOLS, name="pool_cross_default")  # 1: its default is the parent's too
TRANCHE_POOL = _param(MAX_TRANCHES, name="tranche_pool")  # pool index, -1: unsecured at the parent
TRANCHE_RANK = _param(MAX_TRANCHES, name="tranche_rank")  # 1 (senior) .. MAX_RANK
TRANCHE_SWEEP = _param(MAX_TRANCHES, name="tranche_sweep")  # share of the cash flow above the sweep cover
TRANCHE_SWEEP_DSCR = _param(MAX_TRANCHES, name="tranche_sweep_dscr")  # the cover the firm keeps before the sweep
TRANCHE_BORROWING_BASE = _param(MAX_TRANCHES, name="tranche_borrowing_base")  # max balance / collateral (0 off)
TRANCHE_VENDOR = _param(MAX_TRANCHES, name="tranche_vendor")  # 1: its undrawn commitment is the vendor's
TRANCHE_REVOLVING = _param(MAX_TRANCHES, name="tranche_revolving")  # 1: a revolving credit facility
TRANCHE_MINIMUM_CASH = _param(MAX_TRANCHES, name="tranche_minimum_cash")  # $ a revolver's draws keep after service
TRANCHE_TARGET_CASH = _param(MAX_TRANCHES, name="tranche_target_cash")  # $ above which cash repays a revolver
TRANCHE_EXTENSIONS = _param(MAX_TRANCHES, name="tranche_extensions")  # times a revolver's maturity can be extended
TRANCHE_EXTENSION_MONTHS = _param(MAX_TRANCHES, name="tranche_extension_months")  # months each extension adds
TRANCHE_UNCOMMITTED = _param(MAX_TRANCHES, name="tranche_uncommitted")  # 1: a line lent only while lenders are open
TRANCHE_ON_CONTRACTS = _param(MAX_TRANCHES, name="tranche_on_contracts")  # 1: refinanced on its pool's contracts
# --- the firm's response to stress ---
RESPONSE_LIQUIDITY = _param(name="response_liquidity")  # $ of cash after service below which the firm acts
RESPONSE_SELL_UNPLEDGED = _param(name="response_sell_unpledged")  # 1: it sells unpledged GPUs at fire-sale value
RESPONSE_DEFER_BELOW = _param(name="response_defer_below")  # $ of cash below which a delivery waits (0: never)
RESPONSE_MAX_DEFERRAL = _param(name="response_max_deferral")  # months a delivery can wait before it is cancelled
RESPONSE_OPEX_CUT = _param(name="response_opex_cut")  # share of fixed opex cut once cash has been short long enough
RESPONSE_CUT_LAG = _param(name="response_cut_lag")  # months in a row of short cash before the cut
RESPONSE_CUT_BELOW = _param(name="response_cut_below")  # $ of cash below which month-ends count as short (0: never)
# --- funding risk: facilities not yet signed (``funding.close_facilities``) ---
TRANCHE_UNSIGNED = _param(MAX_TRANCHES, name="tranche_unsigned")  # 0 signed; k + 1: unsigned, closing uniform k
TRANCHE_CLOSING_START = _param(MAX_TRANCHES, name="tranche_closing_start")  # first month it can close
TRANCHE_CLOSING_END = _param(MAX_TRANCHES, name="tranche_closing_end")  # last month: it fails if not closed by then
TRANCHE_CLOSING_HAZARD = _param(MAX_TRANCHES, name="tranche_closing_hazard")  # monthly, on the planned path
FUNDING_FACTOR = _param(2, name="funding_factor")  # [regime] multiplies the closing hazard (0: lenders shut)
FUNDING_PRICE_SENSITIVITY = _param(name="funding_price_sensitivity")  # hazard x exp(this x price surprise)
FUNDING_LEVERAGE_SENSITIVITY = _param(name="funding_leverage_sensitivity")  # hazard x exp(-this x LTV excess)
FUNDING_LTV_THRESHOLD = _param(name="funding_ltv_threshold")  # the firm's LTV above which lenders balk

# --- market access and support ---
EQUITY_ENABLED = _param(name="equity_enabled")
EQUITY_OPEN = _param(2, name="equity_open")  # [regime] 1 if investors buy new equity in that regime
EQUITY_MAX_RAISE = _param(name="equity_max_raise")  # per year, a share of the book equity at the raise
EQUITY_COST = _param(name="equity_cost")  # share of the gross raise lost to discount and fees
EQUITY_MARKET = _param(name="equity_market")  # 1: raises are a share of the market value of equity, 0: of book
EQUITY_MULTIPLE = _param(2, name="equity_multiple")  # [regime] EV / annualized trailing EBITDA
EQUITY_SHARES = _param(name="equity_shares")  # shares outstanding at month 0 (the converts' share price)
EQUITY_FORWARD = _param(name="equity_forward")  # 1: the multiple is of contracted forward EBITDA, 0: trailing
TRANCHE_CONVERSION_PRICE = _param(MAX_TRANCHES, name="tranche_conversion_price")  # $ a share (0: not convertible)
TRANCHE_CALL_MONTH = _param(MAX_TRANCHES, name="tranche_call_month")  # first month the issuer may call it (0: never)
TRANCHE_CALL_TRIGGER = _param(MAX_TRANCHES, name="tranche_call_trigger")  # share price / conversion price to call
BACKSTOP_CAP = _param(name="backstop_cap")  # $ in all (0: no backstop)
BACKSTOP_PRICE = _param(name="backstop_price")  # $/GPU-hour paid for unused, uncontracted capacity
BACKSTOP_START = _param(name="backstop_start")  # first month it buys
BACKSTOP_END = _param(name="backstop_end")  # last month it buys
BACKSTOP_HAZARD = _param(2, name="backstop_hazard")  # [regime] monthly default probability of its counterparty
VENDOR_HAZARD = _param(2, name="vendor_hazard")  # [regime] monthly probability the vendor stops financing

# --- the firm's own price: a loading on the market's surprise and a basis of its own ---
# ln P_firm = ln P + (loading - 1)(ln P - planned ln P) + b, with b an OU process (exact monthly step).
BASIS_LOADING = _param(name="basis_loading")
BASIS_DECAY = _param(name="basis_decay")  # exp(-kappa dt)
BASIS_SHOCK = _param(name="basis_shock")  # sd of the exact OU step of b
# Which firm's random blocks it draws: 0 alone, its place in a portfolio (entity 1 + FIRM_STREAM).
FIRM_STREAM = _param(name="firm_stream")

# --- a portfolio's secondary market for GPUs that lenders sell (0 for a firm alone) ---
# Resale-value index I = exp(-impact x overhang), the overhang carrying on as retention x overhang + sold.
FIRE_SALE_IMPACT = _param(name="fire_sale_impact")  # per GPU of overhang
FIRE_SALE_RETENTION = _param(name="fire_sale_retention")  # share of the overhang left after a month

# --- named obligors: one default time per obligor and path, shared by every contract (of every firm) naming it ---
# In month t an obligor alive defaults if u < p_t, with p_t its monthly hazard in the regime, or, with a loading
# on the common credit factor Z_t (one-factor Gaussian copula), p_t = Phi((Phi^-1(h) - sqrt(rho) Z_t) / sqrt(1 - rho)).
OBLIGOR_COUNT = _param(name="obligor_count")
OBLIGOR_HAZARD = _param(2 * MAX_OBLIGORS, name="obligor_hazard")  # [MAX_OBLIGORS x regime + obligor] per month
OBLIGOR_THRESHOLD = _param(2 * MAX_OBLIGORS, name="obligor_threshold")  # Phi^-1 of the hazard (+-1e30 at 1, 0)
OBLIGOR_LOADING = _param(MAX_OBLIGORS, name="obligor_loading")  # sqrt(rho): on the common credit factor
OBLIGOR_IDIOSYNCRATIC = _param(MAX_OBLIGORS, name="obligor_idiosyncratic")  # sqrt(1 - rho)
CUSTOMER_OBLIGOR = _param(MAX_CUSTOMERS, name="customer_obligor")  # the contract's obligor's index, -1: its own draw
BACKSTOP_OBLIGOR = _param(name="backstop_obligor")  # the backstop counterparty's obligor index, -1: its own draw
VENDOR_OBLIGOR = _param(name="vendor_obligor")  # the vendor's obligor index, -1: its own draw
OBLIGOR_FORCED_DEFAULT = _param(MAX_OBLIGORS, name="obligor_forced_default")  # a stress: it defaults then (0: no)
# Wrong-way risk: with probability OBLIGOR_IMPACT_PROBABILITY an obligor's default moves the market in its month.
OBLIGOR_IMPACT_PROBABILITY = _param(MAX_OBLIGORS, name="obligor_impact_probability")
OBLIGOR_LOG_PRICE_JUMP = _param(MAX_OBLIGORS, name="obligor_log_price_jump")  # ln(1 - cut) added to ln P then
OBLIGOR_GLUT_SWITCH = _param(MAX_OBLIGORS, name="obligor_glut_switch")  # 1: the market turns to glut then

PARAMETER_COUNT = _param.count
PARAMETER_NAMES = tuple(_param.names)

BULLET = 0
LINEAR = 1
ANNUITY = 2

# --- firm state of one path (scratch vector) ---
_state = _Slots()
CASH = _state()
BREACHES = _state()  # consecutive covenant breaches
LAUNCHES = _state()  # generation launches so far (the market's, kept with the firm that prices by it)
DELIVERY = _state(MAX_COHORTS)  # month the cohort is (now) due; it slips by one each month it is late
NEVER_DELIVERED = 1.0e6  # DELIVERY of a cohort cancelled (its funding never closed): no month reaches it
LAUNCH_CREDIT = _state(MAX_COHORTS)  # launches before delivery that do not cut a newest-generation cohort
SLIP_DRAW = _state(MAX_COHORTS)  # this month's uniforms: does a due delivery slip?
CUSTOMER_ALIVE = _state(MAX_CUSTOMERS)
CUSTOMER_DRAW = _state(MAX_CUSTOMERS)  # this month's uniforms, one per customer: default
RENEWAL_DRAW = _state(MAX_CUSTOMERS)  # this month's uniforms, one per customer: renewal at expiry
CONTRACT_END = _state(MAX_CUSTOMERS)  # last month of the current term
CONTRACT_PRICE = _state(MAX_CUSTOMERS)  # $/GPU-hour of the current term
UNDRAWN = _state(MAX_TRANCHES)  # undrawn commitment, $
UTILIZATION_LOGIT = _state()  # logit of the fleet's utilization (the firm's own state, not the market's)
BALANCE = _state(MAX_TRANCHES)
FLOATING = _state(MAX_TRANCHES)
RATE = _state(MAX_TRANCHES)
MATURITY = _state(MAX_TRANCHES)
PAYMENT = _state(MAX_TRANCHES)  # annuity payment, $ per month, valid while the rate is PAYMENT_RATE
PAYMENT_RATE = _state(MAX_TRANCHES)  # monthly rate PAYMENT was computed at (NaN: not yet)
EBITDA_TRAILING = _state(TRAILING_MONTHS)
SERVICE_TRAILING = _state(TRAILING_MONTHS)
# This month's statement lines, kept for gpu-stress trace ($ this month).
REVENUE_CONTRACTED = _state()
REVENUE_SPOT = _state()
POWER_COST = _state()
OPEX_COST = _state()  # per-GPU and fixed opex
FIXED_CHARGES = _state()  # leases and power contracts (also in DSCR's numerator and denominator)
LEASE_CLAIM = _state()  # at the parent's default: what the fixed charges' counterparties claim, $
LEASE_RECOVERY = _state()  # ... and what the waterfall pays them, $
DELAY_PENALTIES = _state()  # paid to customers for late deliveries
EBITDA = _state()
CAPEX = _state()  # deposits and delivery payments, $
DRAWS = _state()  # drawn on delayed-draw facilities, $
GPUS = _state()  # GPUs in service
INTEREST = _state(MAX_TRANCHES)
PRINCIPAL = _state(MAX_TRANCHES)  # scheduled and balloon principal (a refinanced balloon is none)
REFINANCED = _state()  # balloons rolled into new loans this month, $
BALLOON = _state(MAX_TRANCHES)  # this month's unrefinanced balloon, $ (part of PRINCIPAL)
# The capital structure's state.
SOLD = _state(MAX_COHORTS)  # share of each cohort sold by the lenders of defaulted pools
COHORT_CASH_FLOW = _state(MAX_COHORTS)  # this month's operating cash flow of the whole cohort, $
COHORT_VALUE = _state(MAX_COHORTS)  # this month's collateral value of the whole cohort (sold or not), $
FLEET_VALUE = _state()  # this month's collateral value V of what the firm owns, $
POOL_VALUE = _state(MAX_POOLS)  # this month's collateral value of each pool's share of its cohorts, $
POOL_DEFAULTED = _state(MAX_POOLS)
RESERVE = _state(MAX_POOLS)  # debt-service reserve accounts, $
TRANCHE_DEFAULT_MONTH = _state(MAX_TRANCHES)  # -1: not in default
TRANCHE_EAD = _state(MAX_TRANCHES)
TRANCHE_RECOVERY = _state(MAX_TRANCHES)  # undiscounted, net of costs, $
# What each tranche's recovery came from ($ of TRANCHE_RECOVERY; the rest: reserves and cash).
TRANCHE_RECOVERY_GPUS = _state(MAX_TRANCHES)  # the GPUs sold
TRANCHE_RECOVERY_CONTRACTS = _state(MAX_TRANCHES)  # surviving contracts sold as going concerns, above their GPUs
TRANCHE_RECOVERY_ENTERPRISE = _state(MAX_TRANCHES)  # the going-concern enterprise value above liquidation
EQUITY_SHARE = _state()  # share of the firm the holders of month 0 still own
EQUITY_RAISED = _state()  # $ raised in all (gross)
EQUITY_RAISED_YEAR = _state()  # $ raised in the current year (months 1-12, 13-24, ...)
BACKSTOP_PAID = _state()  # $ paid by the backstop so far
BACKSTOP_ALIVE = _state()
VENDOR_ALIVE = _state()
BACKSTOP_DRAW = _state()  # this month's uniform: does the backstop's counterparty default?
VENDOR_DRAW = _state()  # this month's uniform: does the vendor stop financing?
# What this firm's capital structure has at all (set once per path, so a month skips what cannot act).
HAS_RING_FENCED = _state()
HAS_PREPAYMENTS = _state()  # a borrowing base or a cash sweep
HAS_RESERVES = _state()
HAS_REVOLVERS = _state()  # a revolving credit facility
REVOLVER_NET = _state()  # drawn on the revolvers this month less repaid, $
EXTENDED = _state(MAX_TRANCHES)  # months a revolver's maturity and availability have been extended
HAS_UNSIGNED = _state()  # a facility not yet signed
CLOSING_DRAW = _state(MAX_UNSIGNED)  # this month's uniforms: does unsigned facility k close?
CLOSING_MONTH = _state(MAX_TRANCHES)  # the month a facility closed: 0 signed at the cut-off, -1 not (yet)
CLOSING_FAILED = _state(MAX_TRANCHES)  # the month an unsigned facility's window ended unclosed, -1: it did not
ASSET_SALES = _state()  # the firm's own sales of unpledged GPUs this month: proceeds, $
HAS_CONVERTIBLES = _state()  # a convertible tranche
DEFERRED = _state(MAX_COHORTS)  # months each planned delivery has waited for the firm's cash
MONTHS_SHORT = _state()  # month-ends in a row with cash below the response's RESPONSE_CUT_BELOW
OPEX_CUT = _state()  # 1 once the firm has cut its fixed opex
CAPEX_DEFERRED = _state()  # this month's deliveries the firm put off, $ of their cost
OPEX_SAVED = _state()  # this month's fixed opex the cut saves, $
CONVERTED = _state()  # convertible notes converted into shares this month, $ of principal
BACKSTOP_REVENUE = _state()  # statement lines of the month, $
PREPAID = _state()  # cash sweep and borrowing-base prepayments
RESERVE_DRAWN = _state()
RAISED = _state()
# The firm's price and the secondary market for its collateral.
RESALE_INDEX = _state()  # the resale-value index this month: 1 alone, < 1 after systemic fire sales
LOG_BASIS = _state()  # b: the firm's own price basis
PRICE_SURPRISE = _state()  # this month's ln P_firm - planned ln P (collateral)
COHORT_IN_SERVICE = _state(MAX_COHORTS)  # this month's GPUs of the whole cohort in service (sold or not)
GPUS_SOLD = _state()  # GPUs the lenders of this firm sell this month (defaulted pools, the parent)
# The path's running statistics of the firm (``path.firm_month``).
ALIVE = _state()
PARENT_END = _state()  # the month the parent defaulted or ran out of cash, -1: it did not
END_CAUSE = _state()
MIN_CASH = _state()
MAX_LTV = _state()
MIN_DSCR = _state()
LAST_LTV = _state()
UTILIZATION_SUM = _state()
MONTHS_ALIVE = _state()
RATE_SUM = _state()  # sum of monthly short rates while alive, for the discount factor
FINAL_LOG_PRICE = _state()  # the firm's ln P in its last month alive
OBLIGOR_DEFAULT_MONTH = _state(MAX_OBLIGORS)  # the month each named obligor defaulted, 0: not (yet)
STATE_SIZE = _state.count

# --- per-path outputs ---
_float_out = _Slots()
OUT_EAD = _float_out(name="ead")
OUT_LOSS = _float_out(name="loss")
OUT_FINAL_PRICE = _float_out(name="final_price")
OUT_FINAL_CASH = _float_out(name="final_cash")
OUT_MIN_CASH = _float_out(name="min_cash")
OUT_MAX_LTV = _float_out(name="max_ltv")
OUT_MIN_DSCR = _float_out(name="min_dscr")
OUT_MEAN_UTILIZATION = _float_out(name="mean_utilization")
OUT_EQUITY_VALUE = _float_out(name="equity_value")
OUT_EQUITY_RAISED = _float_out(name="equity_raised")
OUT_BACKSTOP_PAID = _float_out(name="backstop_paid")
OUT_LEASE_CLAIM = _float_out(name="lease_claim")  # landlords' and power suppliers' claims at the default, $
OUT_LEASE_RECOVERY = _float_out(name="lease_recovery")  # what the waterfall paid them, $ at default (PV)
OUT_LOSS_UNDISCOUNTED = _float_out(name="loss_undiscounted")  # the loss with recoveries not discounted, $
OUT_LEASE_ADJUSTED_DEBT = _float_out(name="lease_adjusted_debt")  # debt + lease liability, last month alive, $
OUT_LEASE_ADJUSTED_LEVERAGE = _float_out(name="lease_adjusted_leverage")  # / annualised trailing EBITDAR
OUT_TERMINAL_SHORTFALL = _float_out(name="terminal_shortfall")  # the terminal test's, $ (kernels/terminal.py)
# Per tranche (kept out of the per-path table: they go to the tranche table, one row per path and tranche).
OUT_TRANCHE_EAD = _float_out(MAX_TRANCHES, name="tranche_ead")
OUT_TRANCHE_RECOVERY = _float_out(MAX_TRANCHES, name="tranche_recovery")  # $ at default (PV), net of costs
OUT_TRANCHE_RECOVERY_GPUS = _float_out(MAX_TRANCHES, name="tranche_recovery_gpus")  # of it: from GPUs sold
OUT_TRANCHE_RECOVERY_CONTRACTS = _float_out(MAX_TRANCHES, name="tranche_recovery_contracts")  # contracts sold
# Of it: from the going-concern enterprise value above liquidation.
OUT_TRANCHE_RECOVERY_ENTERPRISE_VALUE = _float_out(MAX_TRANCHES, name="tranche_recovery_enterprise_value")
FLOAT_OUTPUT_COUNT = _float_out.count
FLOAT_OUTPUT_NAMES = tuple(_float_out.names)
PATH_FLOAT_OUTPUT_NAMES = FLOAT_OUTPUT_NAMES[:OUT_TRANCHE_EAD]  # the per-path table's float columns

_int_out = _Slots()
OUT_DEFAULT_MONTH = _int_out(name="default_month")  # -1 = ran to the horizon (null in the results)
OUT_DEFAULT_CAUSE = _int_out(name="default_cause")
OUT_FUNDING_FAILED_MONTH = _int_out(name="funding_failed_month")  # -1 = every facility closed or is pending
OUT_TRANCHE_DEFAULT_MONTH = _int_out(MAX_TRANCHES, name="tranche_default_month")  # -1 = none
OUT_TRANCHE_CLOSING_MONTH = _int_out(MAX_TRANCHES, name="tranche_closing_month")  # 0 signed, -1 never closed
OUT_TRANCHE_CLOSING_FAILED = _int_out(MAX_TRANCHES, name="tranche_closing_failed")  # -1 = did not fail
OUT_OBLIGOR_DEFAULT_MONTH = _int_out(MAX_OBLIGORS, name="obligor_default_month")  # in the run; -1: none
INT_OUTPUT_COUNT = _int_out.count
INT_OUTPUT_NAMES = tuple(_int_out.names)
PATH_INT_OUTPUT_NAMES = INT_OUTPUT_NAMES[:OUT_TRANCHE_DEFAULT_MONTH]  # the per-path table's integer columns

# The market's per-path outputs of a portfolio path (float, one row each).
_market_out = _Slots()
OUT_MIN_RESALE_INDEX = _market_out(name="min_resale_index")  # the lowest monthly resale-value index
OUT_GPUS_SOLD = _market_out(name="gpus_sold")  # GPUs sold by the lenders of defaulted firms in all
MARKET_OUTPUT_COUNT = _market_out.count
MARKET_OUTPUT_NAMES = tuple(_market_out.names)

# Portfolios: at most MAX_FIRMS firms share a path (a GPU thread holds every firm's state). A month's
# fire sales clear at the index they imply: each pass in which more GPUs are sold re-steps the month.
MAX_FIRMS = 16
MAX_CLEARING_PASSES = MAX_FIRMS * (MAX_POOLS + 1) + 1

# How a path ends, as stored in OUT_DEFAULT_CAUSE. All but NO_DEFAULT and INSOLVENT_NO_DEBT are credit
# defaults; a firm that runs out of cash owing no one anything (no debt and, with [claims], no lease
# or power contract left) is insolvent, which ends the path but is no credit default and not in PD.
# LEASE: with [claims], a month whose cash fell short of its fixed charges (paid before the lenders).
NO_DEFAULT = 0
LIQUIDITY = 1
LTV_BREACH = 2
DSCR_BREACH = 3
REFINANCING = 4
INSOLVENT_NO_DEBT = 5
POOL_DEFAULT = 6  # a ring-fenced pool could not serve its tranches (the parent lives on without cross-default)
LEASE = 7
CAUSE_NAMES = ("none", "liquidity", "ltv", "dscr", "refinancing", "insolvent_no_debt", "pool", "lease")
CREDIT_CAUSES = (LIQUIDITY, LTV_BREACH, DSCR_BREACH, REFINANCING, POOL_DEFAULT, LEASE)

# --- monthly trajectories of the first few paths (fan charts) ---
# glut is the regime indicator, so its monthly mean is the share of paths in glut.
TRACK_PRICE = 0
TRACK_UTILIZATION = 1
TRACK_RATE = 2
TRACK_GLUT = 3
TRACK_CASH = 4
TRACK_LTV = 5
TRACK_NAMES = ("price", "utilization", "rate", "glut", "cash", "ltv")
TRACK_COUNT = len(TRACK_NAMES)

# --- the month-by-month statement of one path (gpu-stress trace) ---
# Written only for the one path a trace asks for; money in $ for the month, cash and debt at its end.
_statement = _Slots()
STATEMENT_PRICE = _statement(name="price")  # $/GPU-hour
STATEMENT_PLANNED_PRICE = _statement(name="planned_price")  # the planned price path collateral is valued against
STATEMENT_UTILIZATION = _statement(name="utilization")
STATEMENT_RATE = _statement(name="rate")  # annual short rate
STATEMENT_REGIME = _statement(name="regime")  # 0 shortage, 1 glut
STATEMENT_REVENUE_CONTRACTED = _statement(name="revenue_contracted")
STATEMENT_REVENUE_SPOT = _statement(name="revenue_spot")
STATEMENT_POWER = _statement(name="power")
STATEMENT_OPEX = _statement(name="opex")
STATEMENT_EBITDA = _statement(name="ebitda")
STATEMENT_FIXED_CHARGES = _statement(name="fixed_charges")  # leases and power contracts
STATEMENT_LEASE_LIABILITY = _statement(name="lease_liability")  # PV of the fixed charges after this month, $
STATEMENT_DELAY_PENALTIES = _statement(name="delay_penalties")
STATEMENT_GPUS = _statement(name="gpus")  # GPUs in service (cohorts delivered and not yet retired)
STATEMENT_CAPEX = _statement(name="capex")  # deposits and deliveries paid this month
STATEMENT_DRAWS = _statement(name="draws")  # drawn on delayed-draw facilities this month
STATEMENT_UNDRAWN = _statement(name="undrawn")  # undrawn commitments at the month's end
STATEMENT_LAUNCHES = _statement(name="launches")  # generation launches so far
STATEMENT_INTEREST = _statement(MAX_TRANCHES, name="interest")
STATEMENT_PRINCIPAL = _statement(MAX_TRANCHES, name="principal")
STATEMENT_REFINANCED = _statement(name="refinanced")  # balloons due this month and rolled into new loans
STATEMENT_BACKSTOP = _statement(name="backstop")  # paid by the capacity backstop for unused capacity
STATEMENT_PREPAID = _statement(name="prepaid")  # cash sweep and borrowing-base prepayments
STATEMENT_REVOLVER = _statement(name="revolver")  # drawn on the revolving facilities this month, less repaid
STATEMENT_ASSET_SALES = _statement(name="asset_sales")  # the firm's sales of unpledged GPUs: proceeds this month
STATEMENT_CONVERTED = _statement(name="converted")  # convertible notes converted into shares this month, $
STATEMENT_CAPEX_DEFERRED = _statement(name="capex_deferred")  # the cost of the deliveries the firm put off, $
STATEMENT_OPEX_SAVED = _statement(name="opex_saved")  # the fixed opex its cut saved this month, $
STATEMENT_RESERVE_DRAWN = _statement(name="reserve_drawn")  # from the debt-service reserves to pay service
STATEMENT_RESERVES = _statement(name="reserves")  # in the debt-service reserve accounts at the month's end
STATEMENT_EQUITY_RAISED = _statement(name="equity_raised")  # gross, this month
STATEMENT_CASH = _statement(name="cash")
STATEMENT_DEBT = _statement(name="debt")
STATEMENT_LEASE_ADJUSTED_DEBT = _statement(name="lease_adjusted_debt")  # debt + lease liability, $
STATEMENT_LEASE_ADJUSTED_LEVERAGE = _statement(name="lease_adjusted_leverage")  # / annualised trailing EBITDAR
STATEMENT_FLEET_VALUE = _statement(name="fleet_value")
STATEMENT_LTV = _statement(name="ltv")
STATEMENT_DSCR = _statement(name="dscr")
STATEMENT_BREACHES = _statement(name="breaches")  # covenant breaches in a row after this month's test
STATEMENT_EVENT = _statement(name="event")  # how the path ended this month (a cause code), else NO_DEFAULT
STATEMENT_COUNT = _statement.count
STATEMENT_NAMES = tuple(_statement.names)

# --- random draws: Philox blocks of 4 x uint32 ---
# counter = (path id low, path id high, month, BLOCKS_PER_STREAM x stream + block), and
# block = BLOCKS_PER_ENTITY x entity + k, where entity 0 is the market and entity 1 + f is firm f.
# So the market's draws never depend on a firm's, and adding a firm adds blocks without moving any.
STREAM_LAYOUT_VERSION = 2  # recorded in run.json; version 1 drew market and firm shocks from shared blocks
BLOCKS_PER_ENTITY = 8
MAX_ENTITIES = 32
BLOCKS_PER_STREAM = BLOCKS_PER_ENTITY * MAX_ENTITIES
MARKET_BLOCK = 0  # words 0, 1: Box-Muller (e_price, e_rate); word 2: u_jump; word 3: u_regime
FIRM_BLOCK = 0  # of the firm's entity; words 0, 1: Box-Muller (e_utilization, e_basis); 2, 3: customers 0, 1
# words 0, 1: customers 2, 3 (drawn only with more than two); words 2, 3: the backstop's and the vendor's
# default (drawn only if either can default)
FIRM_MORE_CUSTOMERS_BLOCK = 1
FIRM_RENEWAL_BLOCK = 2  # words 0-3: renewal of customers 0-3 (drawn only if some contract can renew)
FIRM_SLIP_BLOCK = 3  # words 0-3: slip of cohorts 0-3 (drawn only if some delivery can slip)
FIRM_FUNDING_BLOCK = 4  # words 0-3: closing of unsigned facilities 0-3 (drawn only if some facility is unsigned)
# The market's blocks 1 and 2: the uniforms of obligors 0-3 and 4-7; block 3, words 0, 1: a Box-Muller pair whose
# first normal is the common credit factor (drawn only with a named obligor, the factor only with a loading).
MARKET_OBLIGOR_BLOCK = 1
MARKET_CREDIT_FACTOR_BLOCK = 3

# --- a month's random inputs, as the model reads them: rows of a draws array (slot x month) ---
# (``draws.fill_draws``: a uniform a firm does not draw is 1, which triggers nothing)
DRAW_E_PRICE = 0  # market: the independent standard normals of price and rate, the launch and regime uniforms
DRAW_E_RATE = 1
DRAW_U_JUMP = 2
DRAW_U_REGIME = 3
DRAW_E_UTILIZATION = 4  # firm: its utilization's and price basis's own standard normals
DRAW_E_BASIS = 5
DRAW_U_CUSTOMER = 6  # [MAX_CUSTOMERS] a customer's default
DRAW_U_BACKSTOP = 10  # the backstop counterparty's default
DRAW_U_VENDOR = 11  # the vendor's default
DRAW_U_RENEWAL = 12  # [MAX_CUSTOMERS] a contract's renewal
DRAW_U_SLIP = 16  # [MAX_COHORTS] a delivery's slip
DRAW_U_CLOSING = 20  # [MAX_UNSIGNED] an unsigned facility's closing
DRAW_U_OBLIGOR = 24  # [MAX_OBLIGORS] a named obligor's default
DRAW_E_CREDIT_FACTOR = 32  # the common credit factor (rows 33-35: the rest of its block, unused)
DRAW_COUNT = 36

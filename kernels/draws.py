"""A path's random inputs, months at a time: the draws array the model reads.

``fill_draws`` writes months first .. first + n - 1 of one path into columns
0 .. n - 1 of ``draws`` (layout.DRAW_COUNT rows, ``layout.DRAW_*``). Every draw is a
pure function of (seed, stream, path, month, block) (``rng``), so filling one
month at a time or many gives the same values to the last bit; the launchers
choose by the width of the array they pass:

- CUDA fills one month at a time (a column of thread-local memory), one thread per path;
- the CPU fills DRAW_MONTHS_PER_FILL months of a path at once: each loop below
  runs the same Philox rounds, Box-Muller and polynomial log and sin-cos over
  consecutive months, which compiles to vector instructions (one month per lane).

A block a firm cannot use is not drawn (``firm.optional_blocks``); its
uniforms are 1, which triggers nothing. In the base case every shock is 0 and
every uniform 1: the deterministic plan.
"""

from .device import device_function
from .firm import optional_blocks
from .layout import (
    BASE_CASE,
    BLOCKS_PER_ENTITY,
    DRAW_E_BASIS,
    DRAW_E_CREDIT_FACTOR,
    DRAW_E_PRICE,
    DRAW_E_RATE,
    DRAW_E_UTILIZATION,
    DRAW_U_BACKSTOP,
    DRAW_U_CLOSING,
    DRAW_U_CUSTOMER,
    DRAW_U_JUMP,
    DRAW_U_OBLIGOR,
    DRAW_U_REGIME,
    DRAW_U_RENEWAL,
    DRAW_U_SLIP,
    DRAW_U_VENDOR,
    FIRM_BLOCK,
    FIRM_FUNDING_BLOCK,
    FIRM_MORE_CUSTOMERS_BLOCK,
    FIRM_RENEWAL_BLOCK,
    FIRM_SLIP_BLOCK,
    FIRM_STREAM,
    MARKET_BLOCK,
    MARKET_CREDIT_FACTOR_BLOCK,
    MARKET_OBLIGOR_BLOCK,
)
from .obligors import obligor_blocks
from .rng import box_muller, draw_block, to_uniform


@device_function
def _fill_block(seed, stream, path_id, first_month, months, block, drawn, normal_pair, draws, row, dtype):
    """Rows row .. row + 3, months first_month .. + months - 1: the four words of ``block`` as uniforms.

    With ``normal_pair`` words 0 and 1 are a Box-Muller pair of standard
    normals instead. A block not ``drawn`` leaves zeros for normals and ones for
    uniforms. The one place the model's draws are made: each loop runs over
    consecutive months with no branch, so it compiles to vector instructions.
    """
    if not drawn:
        for k in range(months):
            draws[row, k] = dtype(0.0) if normal_pair else dtype(1.0)
            draws[row + 1, k] = dtype(0.0) if normal_pair else dtype(1.0)
            draws[row + 2, k] = dtype(1.0)
            draws[row + 3, k] = dtype(1.0)
    elif normal_pair:
        for k in range(months):
            bits0, bits1, bits2, bits3 = draw_block(seed, stream, path_id, first_month + k, block)
            normal0, normal1 = box_muller(bits0, bits1, dtype)
            draws[row, k] = normal0
            draws[row + 1, k] = normal1
            draws[row + 2, k] = to_uniform(bits2, dtype)
            draws[row + 3, k] = to_uniform(bits3, dtype)
    else:
        for k in range(months):
            bits0, bits1, bits2, bits3 = draw_block(seed, stream, path_id, first_month + k, block)
            draws[row, k] = to_uniform(bits0, dtype)
            draws[row + 1, k] = to_uniform(bits1, dtype)
            draws[row + 2, k] = to_uniform(bits2, dtype)
            draws[row + 3, k] = to_uniform(bits3, dtype)


@device_function
def fill_market_draws(params, seed, stream, path_id, first_month, months, draws, dtype):
    """The market's draws of ``months`` months: DRAW_E_PRICE, DRAW_E_RATE, DRAW_U_JUMP, DRAW_U_REGIME, and the
    named obligors' uniforms (DRAW_U_OBLIGOR, blocks 1 and 2) and common credit factor (DRAW_E_CREDIT_FACTOR,
    block 3), drawn only for a run with obligors (``obligors.obligor_blocks``)."""
    drawn = params[BASE_CASE] <= dtype(0.0)
    _fill_block(seed, stream, path_id, first_month, months, MARKET_BLOCK, drawn, True, draws, DRAW_E_PRICE, dtype)
    obligors, factor = obligor_blocks(params)
    for half in range(2):  # obligors 0-3, then 4-7: a block only where an obligor of it is named
        block, row = MARKET_OBLIGOR_BLOCK + half, DRAW_U_OBLIGOR + 4 * half
        wanted = drawn and obligors > 4 * half
        _fill_block(seed, stream, path_id, first_month, months, block, wanted, False, draws, row, dtype)
    block, row = MARKET_CREDIT_FACTOR_BLOCK, DRAW_E_CREDIT_FACTOR
    _fill_block(seed, stream, path_id, first_month, months, block, drawn and factor, True, draws, row, dtype)


@device_function
def fill_firm_draws(params, seed, stream, path_id, first_month, months, draws, dtype):
    """The draws of the firm of ``params`` (its entity: 1 + params[FIRM_STREAM]) of ``months`` months.

    Its block 0 gives e_utilization, e_basis (a Box-Muller pair) and customers
    0 and 1; block 1 customers 2 and 3 (words 0, 1: with more than two
    customers) and the backstop's and vendor's default (words 2, 3: if either
    can default); the renewal and slip blocks one uniform per contract and per
    cohort, the funding block one per unsigned facility (TRANCHE_UNSIGNED).
    """
    more_customers, renewals, slips, support, funding = optional_blocks(params)
    drawn = params[BASE_CASE] <= dtype(0.0)
    first = BLOCKS_PER_ENTITY * (1 + int(params[FIRM_STREAM]))
    block, row = first + FIRM_BLOCK, DRAW_E_UTILIZATION
    _fill_block(seed, stream, path_id, first_month, months, block, drawn, True, draws, row, dtype)
    # Block 1 serves two purposes (customers 2 and 3, the backstop and the vendor): drawn for
    # either, and its words blanked for the one the firm has no use for.
    more_drawn = drawn and (more_customers or support)
    more, row = first + FIRM_MORE_CUSTOMERS_BLOCK, DRAW_U_CUSTOMER + 2
    _fill_block(seed, stream, path_id, first_month, months, more, more_drawn, False, draws, row, dtype)
    if not more_customers:
        for k in range(months):
            draws[DRAW_U_CUSTOMER + 2, k] = dtype(1.0)
            draws[DRAW_U_CUSTOMER + 3, k] = dtype(1.0)
    if not support:
        for k in range(months):
            draws[DRAW_U_BACKSTOP, k] = dtype(1.0)
            draws[DRAW_U_VENDOR, k] = dtype(1.0)
    renewal, row = first + FIRM_RENEWAL_BLOCK, DRAW_U_RENEWAL
    _fill_block(seed, stream, path_id, first_month, months, renewal, drawn and renewals, False, draws, row, dtype)
    slip, row = first + FIRM_SLIP_BLOCK, DRAW_U_SLIP
    _fill_block(seed, stream, path_id, first_month, months, slip, drawn and slips, False, draws, row, dtype)
    closing, row = first + FIRM_FUNDING_BLOCK, DRAW_U_CLOSING
    _fill_block(seed, stream, path_id, first_month, months, closing, drawn and funding, False, draws, row, dtype)


@device_function
def fill_draws(params, seed, stream, path_id, first_month, months, draws, dtype):
    """Months first_month .. first_month + months - 1 of path ``path_id`` into columns 0 .. months - 1."""
    fill_market_draws(params, seed, stream, path_id, first_month, months, draws, dtype)
    fill_firm_draws(params, seed, stream, path_id, first_month, months, draws, dtype)


@device_function
def draws_column(params, seed, stream, path_id, month, horizon, draws, dtype):
    """The column of ``draws`` that holds month ``month``, filling the next months first when they are due.

    A draws array of width w holds w months: months 1 .. w, then w + 1 .. 2w,
    and so on (width 1: one month at a time).
    """
    width = draws.shape[1]
    column = (month - 1) % width
    if column == 0:
        fill_draws(params, seed, stream, path_id, month, min(width, horizon - month + 1), draws, dtype)
    return column


# Each block's four words land in four consecutive rows (``_fill_block``).
assert (DRAW_E_PRICE, DRAW_E_RATE, DRAW_U_JUMP, DRAW_U_REGIME) == (0, 1, 2, 3)
assert (DRAW_E_UTILIZATION, DRAW_E_BASIS, DRAW_U_CUSTOMER) == (4, 5, 6)
assert (DRAW_U_BACKSTOP, DRAW_U_VENDOR, DRAW_U_RENEWAL, DRAW_U_SLIP) == (DRAW_U_CUSTOMER + 4, 11, 12, 16)
assert DRAW_U_CLOSING == DRAW_U_SLIP + 4

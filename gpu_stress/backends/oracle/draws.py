"""A path's draws of the month, over whole arrays of paths: the random-number contract of ``kernels/draws.py``."""

import numpy as np

from ...kernels import layout as L
from . import rng


def philox_draws(seed, stream, path_start, paths, params, dtype):
    """Draws of the random-number contract: ``draws(month)`` -> (normals, uniforms, renewals, slips, closings, credit).

    normals = (e_price, e_utilization, e_rate, e_basis) and uniforms = (u_jump,
    u_regime, u_customer0..3, u_backstop, u_vendor): the market's block gives
    e_price, e_rate, u_jump and u_regime; the firm's block 0 (its entity is 1 +
    params[FIRM_STREAM]) gives e_utilization and e_basis (its Box-Muller pair)
    and customers 0 and 1. Its block 1 gives customers 2 and 3 (words 0, 1, used
    only with more than two customers) and the defaults of the backstop's
    counterparty and of the vendor (words 2, 3); it is drawn only if the firm
    has more than two customers or either counterparty can default. renewals
    (one per contract) and slips (one per cohort) come from the firm's renewal
    and slip blocks, drawn only for a firm that can use them, and closings (one
    per unsigned facility) from its funding block, drawn only for a firm with
    one. credit = (the named obligors' uniforms, the common credit factor) are
    the market's blocks 1 and 2 (drawn with an obligor) and 3 (a Box-Muller pair,
    drawn with a factor loading). A uniform that is not drawn is 1, which triggers
    nothing; a normal that is not drawn is 0.
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
    unsigned = any(params[L.TRANCHE_UNSIGNED + j] > 0 for j in range(int(params[L.TRANCHE_COUNT])))
    obligors = int(params[L.OBLIGOR_COUNT])
    correlated = any(params[L.OBLIGOR_LOADING + j] > 0 for j in range(int(params[L.OBLIGOR_COUNT])))

    def obligor_draws(month):
        """(the obligors' uniforms, the common credit factor): the market's blocks 1-3, drawn only with obligors."""
        uniforms = [np.ones(paths, dtype)] * L.MAX_OBLIGORS
        factor = np.zeros(paths, dtype)
        for half in range(2):  # obligors 0-3, then 4-7: a block only where an obligor of it is named
            if obligors > 4 * half:
                words = rng.draw_block(seed, stream, path_ids, month, L.MARKET_OBLIGOR_BLOCK + half)
                uniforms[4 * half : 4 * half + 4] = [rng.to_uniform(word, dtype) for word in words]
        if correlated:
            bits0, bits1, _, _ = rng.draw_block(seed, stream, path_ids, month, L.MARKET_CREDIT_FACTOR_BLOCK)
            factor, _ = rng.box_muller(bits0, bits1, dtype)
        return uniforms, factor

    def firm_uniforms(month, block, wanted):
        if not wanted:
            return [np.ones(paths, dtype)] * 4
        words = rng.draw_block(seed, stream, path_ids, month, firm_blocks + block)
        return [rng.to_uniform(word, dtype) for word in words]

    def draws(month):
        m0, m1, m2, m3 = rng.draw_block(seed, stream, path_ids, month, L.MARKET_BLOCK)
        e_price, e_rate = rng.box_muller(m0, m1, dtype)
        f0, f1, f2, f3 = rng.draw_block(seed, stream, path_ids, month, firm_blocks + L.FIRM_BLOCK)
        e_utilization, e_basis = rng.box_muller(f0, f1, dtype)
        uniforms = [rng.to_uniform(word, dtype) for word in (m2, m3, f2, f3)]
        more = firm_uniforms(month, L.FIRM_MORE_CUSTOMERS_BLOCK, customers > 2 or counterparties)
        uniforms += more[:2] if customers > 2 else [np.ones(paths, dtype)] * 2
        uniforms += more[2:]  # ones unless the block was drawn
        renewal_uniforms = firm_uniforms(month, L.FIRM_RENEWAL_BLOCK, renewals)
        slip_uniforms = firm_uniforms(month, L.FIRM_SLIP_BLOCK, slips)
        closing_uniforms = firm_uniforms(month, L.FIRM_FUNDING_BLOCK, unsigned)
        credit = obligor_draws(month)
        return (
            (e_price, e_utilization, e_rate, e_basis),
            uniforms,
            renewal_uniforms,
            slip_uniforms,
            closing_uniforms,
            credit,
        )

    return draws


def library_draws(generator, paths, dtype):
    """Draws from a NumPy or CuPy ``Generator``: same shapes, not the Philox contract."""

    def draws(month):
        normals = generator.standard_normal((4, paths), dtype=dtype)
        uniforms = generator.random((16, paths), dtype=dtype)
        closings = [np.ones(paths, dtype)] * L.MAX_UNSIGNED  # as not drawn: facilities close when their window opens
        credit = list(generator.random((L.MAX_OBLIGORS, paths), dtype=dtype)), generator.standard_normal(paths, dtype)
        return tuple(normals), list(uniforms[:8]), list(uniforms[8:12]), list(uniforms[12:]), closings, credit

    return draws

"""Sparse histograms on the float64 grid: quantiles and tail means in small memory, with no range cap.

A non-negative float64 x is binned by its top bits: the 11 exponent bits and
the first ``MANTISSA_BITS`` bits of the mantissa, i.e. ``key = bits(x) >> SHIFT``.
Every positive float from the smallest normal number up to the largest has a
bin, each bin [lower, upper) has upper / lower <= 1 + 2^-MANTISSA_BITS, and key
0 holds exact zeros (and subnormals below 2^-1013, which count as zero). Only
non-empty bins are stored (sorted keys, counts, sums), so a histogram is as
small as the spread of its data, and the binning is exact integer arithmetic:
the same on numpy and CuPy, in any chunking. Counts add exactly across
chunks; only a value's place inside its bin is lost. Hence:

- a quantile (inverted CDF: the smallest x with F(x) >= level) lies in a known
  bin; the estimate is the bin's geometric middle, within a relative
  :data:`QUANTILE_REL_ERROR` of the truth;
- a tail mean (the mean of the worst ceil((1 - level) n) values) takes whole
  bins exactly by their sums and the part of one bin at that bin's mean, so it
  is off by less than :data:`TAIL_MEAN_REL_ERROR` relative.

Tests check both bounds against exact results over many decades.
"""

from dataclasses import dataclass

import numpy as np

from ..arrays import to_host

MANTISSA_BITS = 9
SHIFT = 52 - MANTISSA_BITS
ZERO_KEY = 0
QUANTILE_REL_ERROR = float(np.sqrt(1.0 + 2.0**-MANTISSA_BITS) - 1.0)
TAIL_MEAN_REL_ERROR = 2.0**-MANTISSA_BITS


@dataclass(frozen=True)
class Histogram:
    """Non-empty bins: ``keys`` (sorted int64), ``counts`` (int64), ``sums`` (float64 sum of the values).

    With ``parts`` (float64, bin x k) it also holds, bin by bin, the sums of k
    parts that add up to each value (a portfolio loss and its exposures' losses):
    :meth:`tail_mean_parts` gives each part's mean over the same worst values
    as :meth:`tail_mean`, so the parts' tail means add up to the tail mean.
    """

    keys: np.ndarray
    counts: np.ndarray
    sums: np.ndarray
    parts: np.ndarray | None = None

    @classmethod
    def of(cls, values, xp=np, parts=None):
        """Histogram of non-negative ``values`` (numpy or CuPy), with ``parts`` (k x n) summed by bin if given."""
        values = values.astype(xp.float64)
        values = xp.where(values > 0, values, 0.0)  # also turns -0.0 into key 0
        if values.shape[0] == 0:
            return empty(0 if parts is None else parts.shape[0], parts is not None)
        keys = values.view(xp.int64) >> SHIFT  # at most 2^20 distinct keys, so a dense count is cheap
        lowest = int(keys.min())
        offsets = keys - lowest
        counts = xp.bincount(offsets)
        sums = xp.bincount(offsets, weights=values)
        occupied = xp.flatnonzero(counts)
        part_sums = None
        if parts is not None:
            by_part = [
                xp.bincount(offsets, weights=part.astype(xp.float64), minlength=counts.shape[0]) for part in parts
            ]
            part_sums = (
                to_host(xp.stack(by_part, axis=1)[occupied]) if by_part else np.zeros((int(occupied.shape[0]), 0))
            )
        return cls(
            to_host(occupied + lowest).astype(np.int64),
            to_host(counts[occupied]).astype(np.int64),
            to_host(sums[occupied]),
            part_sums,
        )

    def __add__(self, other):
        keys = np.union1d(self.keys, other.keys)
        counts = np.zeros(keys.shape, np.int64)
        sums = np.zeros(keys.shape, np.float64)
        parts = None if self.parts is None else np.zeros((keys.shape[0], self.parts.shape[1]))
        for part in (self, other):  # keys are unique within a part, so fancy-index adds are safe
            where = np.searchsorted(keys, part.keys)
            counts[where] += part.counts
            sums[where] += part.sums
            if parts is not None:
                parts[where] += part.parts
        return Histogram(keys, counts, sums, parts)

    @property
    def total(self):
        return int(self.counts.sum())

    def lower_edges(self):
        return bin_edges(self.keys)[0]

    def upper_edges(self):
        return bin_edges(self.keys)[1]

    def quantile(self, level):
        """Estimate of the ``level`` quantile (inverted CDF); None without values."""
        total = self.total
        if total == 0:
            return None
        rank = max(int(np.ceil(level * total - 1e-9)), 1)
        index = int(np.searchsorted(np.cumsum(self.counts), rank))
        if self.keys[index] == ZERO_KEY:
            return 0.0
        lower, upper = bin_edges(self.keys[index : index + 1])
        return float(lower[0] * np.sqrt(upper[0] / lower[0]))  # the geometric middle, without overflow

    def tail_mean(self, level):
        """Estimate of the mean of the worst ceil((1 - level) n) values; None without values."""
        return self._tail_average(level, self.sums, 0.0)

    def tail_mean_parts(self, level):
        """Each part's mean over the values :meth:`tail_mean` averages (k floats); None without values."""
        return self._tail_average(level, self.parts, np.zeros(self.parts.shape[1]))

    def tail_second_moment(self, level):
        """Estimate of the mean square of those values (each bin's values at its mean); None without values."""
        means = np.divide(self.sums, self.counts, out=np.zeros_like(self.sums), where=self.counts > 0)
        return self._tail_average(level, means * self.sums, 0.0)

    def _tail_average(self, level, per_bin, zero):
        """The worst ceil((1 - level) n) values' mean of ``per_bin`` (bin sums): whole bins from the top, then
        the needed share of one more bin."""
        total = self.total
        if total == 0:
            return None
        needed = max(int(np.ceil((1.0 - level) * total - 1e-9)), 1)
        taken, accumulated = 0, zero
        for index in range(len(self.counts) - 1, -1, -1):
            count = int(self.counts[index])
            take = min(count, needed - taken)
            accumulated = accumulated + per_bin[index] * (take / count)
            taken += take
            if taken == needed:
                break
        return accumulated / needed


def bin_edges(keys):
    """(lower, upper) float64 bounds of the bins ``keys``; key 0 is [0, 0]."""
    keys = np.asarray(keys, np.int64)
    lower = (keys << SHIFT).view(np.float64)
    upper = np.minimum(((keys + 1) << SHIFT).view(np.float64), np.finfo(np.float64).max)  # the top bin ends at inf
    zero = keys == ZERO_KEY
    return np.where(zero, 0.0, lower), np.where(zero, 0.0, upper)


def empty(part_count=0, with_parts=False):
    parts = np.zeros((0, part_count)) if with_parts else None
    return Histogram(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float64), parts)

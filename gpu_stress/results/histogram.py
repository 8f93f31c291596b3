"""Log-spaced histograms: quantiles and tail means of huge samples in fixed memory.

A histogram of non-negative values with one bin for exact zeros, one for
(0, lowest), ``bins`` log-spaced bins over [lowest, highest) and values at or
above ``highest`` in the last bin (the bounds below assume values < highest).
Counts are exact and add across chunks, backends and workers; only a value's
position inside its bin is lost. So:

- a quantile (inverted CDF: the smallest x with F(x) >= level) lies in a known
  bin; the estimate is the bin's geometric middle, within a factor
  sqrt(ratio) of the truth (ratio = (highest / lowest)^(1 / bins));
- a tail mean (the mean of the worst ceil((1 - level) n) values) takes whole
  bins exactly by their sums and the part of one bin at that bin's mean, so
  it is off by less than (ratio - 1) relative;
- values below ``lowest`` are located only to within ``lowest`` (absolute).

:meth:`LogHistogram.quantile_error` states these bounds; tests check them
against exact results.
"""

from dataclasses import dataclass

import numpy as np

from ..arrays import to_host

ZERO_BIN = 0
UNDERFLOW_BIN = 1


@dataclass(frozen=True)
class LogHistogram:
    lowest: float
    highest: float
    bins: int = 4096

    @property
    def size(self):
        return self.bins + 2

    @property
    def ratio(self):
        return (self.highest / self.lowest) ** (1.0 / self.bins)

    def quantile_error(self):
        """(relative, absolute) error bounds of quantile estimates."""
        return np.sqrt(self.ratio) - 1.0, self.lowest

    def tail_mean_error(self):
        """(relative, absolute) error bounds of tail-mean estimates."""
        return self.ratio - 1.0, self.lowest

    def bin_index(self, values, xp=np):
        """Bin of every value (an int64 array in the array module ``xp``)."""
        scale = self.bins / np.log(self.highest / self.lowest)
        logs = xp.log(xp.maximum(values, self.lowest) / self.lowest)
        index = xp.minimum(xp.floor(logs * scale).astype(xp.int64), self.bins - 1) + 2
        index = xp.where(values < self.lowest, UNDERFLOW_BIN, index)
        return xp.where(values <= 0, ZERO_BIN, index)

    def count(self, values, xp=np):
        """(counts, sums) of ``values`` per bin, as host numpy arrays."""
        values = values.astype(xp.float64)
        index = self.bin_index(values, xp)
        counts = xp.bincount(index, minlength=self.size)
        sums = xp.bincount(index, weights=values, minlength=self.size)
        return to_host(counts).astype(np.int64), to_host(sums)

    def edges(self, index):
        """(lower, upper) value bounds of bin ``index``."""
        if index == ZERO_BIN:
            return 0.0, 0.0
        if index == UNDERFLOW_BIN:
            return 0.0, self.lowest
        lower = self.lowest * self.ratio ** (index - 2)
        return lower, lower * self.ratio

    def quantile(self, counts, level, maximum=np.inf):
        """Estimate of the ``level`` quantile (inverted CDF) of the counted values."""
        total = counts.sum()
        if total == 0:
            return np.nan
        rank = max(int(np.ceil(level * total - 1e-9)), 1)
        index = int(np.searchsorted(np.cumsum(counts), rank))
        lower, upper = self.edges(index)
        if index == ZERO_BIN:
            return 0.0
        if index == UNDERFLOW_BIN:
            return min(0.5 * self.lowest, maximum)
        return min(np.sqrt(lower * upper), maximum)

    def tail_mean(self, counts, sums, level):
        """Estimate of the mean of the worst ceil((1 - level) n) values."""
        total = counts.sum()
        if total == 0:
            return np.nan
        needed = max(int(np.ceil((1.0 - level) * total - 1e-9)), 1)
        taken, accumulated = 0, 0.0
        for index in range(self.size - 1, -1, -1):
            count = int(counts[index])
            if count == 0:
                continue
            take = min(count, needed - taken)
            accumulated += sums[index] * (take / count)
            taken += take
            if taken == needed:
                break
        return accumulated / needed

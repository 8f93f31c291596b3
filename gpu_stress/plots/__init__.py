"""``gpu-stress plot``: the charts of a results directory.

Needs matplotlib (``pip install 'gpu-stress[plot]'``). Everything is drawn from
the results directory alone, from its aggregate tables (so a ``--no-paths``
run draws every chart): bands.arrow for fan charts, scenarios.arrow (firms.arrow
for a portfolio's firms) for the loss distribution, PD heatmaps, the cumulative
PD term structure, PD / EL / CVaR against a swept value, defaults by cause and
month, and the loss waterfall, and sensitivity.arrow (``gpu-stress
sensitivity``) for the tornado.
"""

from .common import KINDS, PlotError
from .draw import plot

__all__ = ["KINDS", "PlotError", "plot"]

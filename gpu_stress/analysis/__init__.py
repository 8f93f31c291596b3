"""The analyst's toolkit: sensitivities and reverse stress tests on common random numbers.

- :func:`sensitivity`: bump each numeric setting down and up; the change of PD, EL and
  CVaR 99 % with the standard error of the paired difference (``gpu-stress sensitivity``).
- :func:`reverse`: the value of one setting at which a metric reaches a target, with a
  confidence interval, re-measured on independent paths (``gpu-stress reverse``).

Both drive :func:`gpu_stress.api.run` in memory; docs/model.md ("Sensitivities and reverse
stress tests") gives the maths, and each module's docstring its part of it.
"""

from .metrics import METRICS
from .reverse import ReverseResult, parse_range, parse_target, reverse
from .sensitivity import SENSITIVITY_FILE, AnalysisError, SensitivityResult, sensitivity, sensitivity_schema

__all__ = [
    "METRICS",
    "SENSITIVITY_FILE",
    "AnalysisError",
    "ReverseResult",
    "SensitivityResult",
    "parse_range",
    "parse_target",
    "reverse",
    "sensitivity",
    "sensitivity_schema",
]

"""The configuration schema, validated with pydantic.

Units: money in $, GPU prices in $/GPU-hour, electricity in $/kWh, power in kW
per GPU (its share of the server included), rates and drifts as annual
decimals (0.10 = 10 %), volatilities per sqrt(year), switch probabilities per
month, times in months. docs/model.md explains each parameter.

Every model is strict (no silent string-to-number conversion) and forbids
unknown keys, so a typo is an error rather than a silently ignored setting.

Every number must be finite and every numeric field has a physical range,
declared once with :func:`between` and listed in docs/model.md. The ranges hold
every real-world firm with room to spare and keep float64 runs finite: the
largest quantity, the discounted equity of a firm whose price rises at the top
drift for the longest horizon (100 years) with elasticity 3 while rates sit at
their lowest, is below e^670 even on a 7-standard-deviation path; float64
overflows at e^709. float32 overflows at e^88: such runs can stop with one line
naming the output that left its range.
"""

import types
import typing
from typing import Annotated

import annotated_types
from pydantic import BaseModel, ConfigDict, Field

MAX_NAME_LENGTH = 200  # characters of a name (a firm, customer, tranche, pool, cohort, stress)


MAX_TEXT_LENGTH = 1000  # characters of a description


Name = Annotated[str, Field(max_length=MAX_NAME_LENGTH)]


Text = Annotated[str, Field(max_length=MAX_TEXT_LENGTH)]


INSTALLED_FLEET = "installed"  # the name contracts and facilities use for the fleet of ``[firm]`` (cohort 0)


def between(low, high, kind=float):
    """``kind`` (float or int) restricted to [low, high], both ends included."""
    return Annotated[kind, Field(ge=low, le=high)]


def numeric_range(field):
    """(kind, low, high) of a pydantic field declared with :func:`between`, else None."""
    kind, metadata = field.annotation, list(field.metadata)
    if typing.get_origin(kind) in (typing.Union, types.UnionType):  # ``between(...) | None`` (or | a Literal word)
        numbers = [
            arg
            for arg in typing.get_args(kind)
            if arg is not type(None) and typing.get_origin(arg) is not typing.Literal
        ]
        if len(numbers) != 1:
            return None
        (kind,) = numbers
        if typing.get_origin(kind) is Annotated:
            kind, *extra = typing.get_args(kind)
            metadata += [item for info in extra for item in getattr(info, "metadata", [info])]
    bounds = {type(item): item for item in metadata}
    if kind not in (int, float) or annotated_types.Ge not in bounds or annotated_types.Le not in bounds:
        return None
    return kind, bounds[annotated_types.Ge].ge, bounds[annotated_types.Le].le


# Shared ranges (units as in the module docstring).
Probability = between(0, 1)


Correlation = between(-1, 1)


OpenUnit = between(0.001, 0.999)  # utilization: inside (0, 1), as the model works on its logit


Drift = between(-1, 1)  # annual, of the log price


Volatility = between(0, 3)  # per sqrt(year), of the log price


Months = between(1, 1200, int)


Dollars = between(0, 1e13)


Rate = between(-0.1, 1)  # annual short rate


Escalation = between(-0.5, 1)  # annual growth of a fixed charge


Coupon = between(-1, 1)  # annual fixed coupon or spread


MeanReversion = between(0, 100)  # per year


Ratio = between(0, 1000)  # LTV and DSCR limits; reported ratios are clipped to +-1000


Paths = between(1, 10**12, int)


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, validate_default=True, allow_inf_nan=False)

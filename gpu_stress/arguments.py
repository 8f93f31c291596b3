"""The Python API's argument types, checked up front: a wrong one is one :class:`ArgumentError` naming it.

Values (a negative seed, an unknown backend) are the configuration's to judge, with the same one-line
errors as the command line; this module only makes sure that what reaches it has the type it expects,
so that no wrongly typed argument surfaces as a ``TypeError`` or ``AttributeError`` deep inside.
"""

import os
from collections.abc import Mapping

from .blocks.run import TO_LAST_MATURITY
from .errors import ArgumentError, excerpt

FLAG = (bool,)
TEXT = (str,)
PATH = (str, os.PathLike)
WHOLE = (int,)
NUMBER = (int, float)


def expect(name, value, kinds, text, none=True):
    """Raise :class:`ArgumentError` unless ``value`` is one of ``kinds`` (or None, if ``none``); a bool is never
    taken for a number."""
    if value is None and none:
        return
    is_bool = isinstance(value, bool)
    if isinstance(value, kinds) and not (is_bool and bool not in kinds):
        return
    raise ArgumentError(f"{name}: {text}, not {excerpt(value)} ({type(value).__name__})")


def expect_path(name, value, text, none=True, kinds=PATH):
    """A path (str or os.PathLike): not empty, and without the NUL character no file name holds."""
    expect(name, value, kinds, text, none)
    if isinstance(value, str | os.PathLike) and (not os.fspath(value) or "\x00" in os.fspath(value)):
        raise ArgumentError(f"{name}: {text}, not {excerpt(value)} (empty, or with a NUL character)")


def expect_callable(name, value, none=True):
    if (value is None and none) or callable(value):
        return
    raise ArgumentError(f"{name}: a function, not {excerpt(value)} ({type(value).__name__})")


def expect_names(name, value, text):
    """A name or a list of names (stress, parameters, groups)."""
    expect(name, value, (str, list, tuple), text)
    for item in [] if value is None or isinstance(value, str) else value:
        expect(f"{name}[]", item, TEXT, "a name", none=False)


def _pairs(name, value, text, pair):
    """The (key, value) items of a dict, or of a list of "KEY=..." strings and pairs, each key checked a str."""
    expect(name, value, (dict, str, list, tuple), text)
    items = value.items() if isinstance(value, dict) else ([] if value is None or isinstance(value, str) else value)
    for item in items:
        if isinstance(value, dict) or not isinstance(item, str):
            if not (isinstance(item, list | tuple) and len(item) == 2):
                raise ArgumentError(f"{name}: each item a {pair}, not {excerpt(item)}")
            expect(f"{name} key", item[0], TEXT, "a dotted key (a str)", none=False)
            yield item


def expect_settings(name, value):
    """overrides: {dotted key: value}, a "KEY=VALUE" string, or a list of such strings or (key, value) pairs."""
    text = 'a dict {"dotted.key": value} or "KEY=VALUE" strings'
    for _ in _pairs(name, value, text, '"KEY=VALUE" string or a (key, value) pair'):
        pass


def expect_sweep(name, value):
    """sweep: {dotted key: [values]}, "KEY=V1,V2" strings, or (key, values) pairs."""
    text = 'a dict {"dotted.key": [values]} or "KEY=V1,V2" strings'
    for key, values in _pairs(name, value, text, '"KEY=V1,V2" string or a (key, values) pair'):
        if isinstance(values, Mapping | set | frozenset | bytes):
            raise ArgumentError(f"{name}.{key}: a list of values, not {excerpt(values)}")


def expect_count(name, value, text="a whole number of at least 1", none=True):
    expect(name, value, WHOLE, text, none)
    if value is not None and value < 1:
        raise ArgumentError(f"{name}: {text}, not {value}")


def expect_run_settings(config, preset, overrides, paths, horizon, seed, backend, log=None, command=None):
    """The arguments :func:`gpu_stress.run`, ``sensitivity`` and ``reverse`` share."""
    expect_path("config", config, "a TOML file (str or Path) or a dict of its tables", kinds=(str, os.PathLike, dict))
    expect("preset", preset, TEXT, "a preset name (gpu-stress presets)")
    expect_settings("overrides", overrides)
    expect("paths", paths, (int, float, str), "a whole number of paths (1e6 too)")
    if horizon != TO_LAST_MATURITY:
        expect("horizon", horizon, WHOLE, 'a whole number of months or "to-last-maturity"')
    expect("seed", seed, WHOLE, "a whole number")
    expect("backend", backend, TEXT, '"auto", "cpu", "cuda" or "numpy"', none=False)
    expect_callable("log", log)
    expect("command", command, TEXT, "the command line, a str")

"""Configuration: schema (pydantic), presets (TOML) and loading with overrides.

The names below load on first use, so that a block of the model (``gpu_stress.blocks``)
can import the section types (``config.types``) without loading the schema that the
blocks' sections make up.
"""

import importlib

_FACE = {
    "Config": "schema",
    "ConfigError": "load",
    "load_config": "load",
    "load_table": "load",
    "preset_names": "load",
    "read_preset": "load",
}
__all__ = list(_FACE)


def __getattr__(name):
    if name in _FACE:
        return getattr(importlib.import_module(f".{_FACE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""Configuration: schema (pydantic), presets (TOML) and loading with overrides."""

from .load import ConfigError, load_config, load_table, preset_names, read_preset
from .schema import Config

__all__ = ["Config", "ConfigError", "load_config", "load_table", "preset_names", "read_preset"]

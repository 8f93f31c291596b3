"""gpu-stress: Monte Carlo credit stress tests for debt-financed GPU clouds."""

from pathlib import Path

__version__ = "0.5.0"

# In a source checkout (PYTHONPATH=.) the device code sits beside this package
# in kernels/ rather than inside it; installs map it to gpu_stress.kernels.
_package = Path(__file__).resolve().parent
if not (_package / "kernels").is_dir() and (_package.parent / "kernels" / "__init__.py").is_file():
    __path__.append(str(_package.parent))

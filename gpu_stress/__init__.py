"""gpu-stress: Monte Carlo credit stress tests for debt-financed GPU clouds.

``gpu_stress.run(...)`` runs a stress test in-process and ``gpu_stress.load(DIR)``
reads a results directory; both return :class:`gpu_stress.api.Results`.
``gpu_stress.summary_view(DIR, ...)`` is what ``gpu-stress summarize`` shows, as data.
"""

from pathlib import Path

__version__ = "0.11.0"
__all__ = ["NoEffectWarning", "Results", "RunInterrupted", "View", "load", "resume", "run", "summary_view"]

# In a source checkout (PYTHONPATH=.) the device code sits beside this package
# in kernels/ rather than inside it; installs map it to gpu_stress.kernels.
_package = Path(__file__).resolve().parent
if not (_package / "kernels").is_dir() and (_package.parent / "kernels" / "__init__.py").is_file():
    __path__.append(str(_package.parent))


def __getattr__(name):
    # The API loads numba and pyarrow: only when it is used, so `import gpu_stress` stays light.
    if name in __all__:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'gpu_stress' has no attribute {name!r}")

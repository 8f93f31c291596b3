"""What ``gpu-stress info`` reports: versions, CPU, CUDA driver and runtime, GPUs, backend choice.

Every probe is guarded: a machine with no GPU, no driver or a broken CUDA
install gets a sentence saying so, never a traceback.
"""

import importlib.metadata

from . import __version__
from .backends import choose_backend, cuda_status
from .machine import cpu_description, memory_gib

PACKAGES = ("numpy", "numba", "numba-cuda", "cupy-cuda13x", "cupy-cuda12x", "cupy", "pyarrow", "click", "pydantic")


def package_versions():
    found = {"gpu-stress": __version__}
    for package in PACKAGES:
        try:
            found[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            continue
    return found


def first_line(error):
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _cuda_version(number):
    """12040 -> '12.4'."""
    return f"{number // 1000}.{number % 1000 // 10}"


def cuda_details():
    """Driver, runtime and GPUs, or the reason they could not be read."""
    details = {"driver": None, "runtime": None, "gpus": [], "problem": None}
    try:
        from numba import cuda

        if not cuda.is_available():
            details["problem"] = "no CUDA GPU or driver found"
            return details
        details["driver"] = "{}.{}".format(*cuda.cudadrv.driver.driver.get_version())
        for device in cuda.list_devices():
            with device:
                current = cuda.get_current_device()
                name = current.name.decode() if isinstance(current.name, bytes) else current.name
                free, total = cuda.current_context().get_memory_info()
                details["gpus"].append(
                    {
                        "name": name,
                        "compute_capability": "{}.{}".format(*current.compute_capability),
                        "multiprocessors": current.MULTIPROCESSOR_COUNT,
                        "memory_gib": round(total / 2**30, 1),
                        "free_gib": round(free / 2**30, 1),
                    }
                )
    except ImportError:
        details["problem"] = "numba-cuda is not installed (pip install 'gpu-stress[cuda13]')"
        return details
    except Exception as error:  # broken driver or toolkit
        details["problem"] = f"CUDA is not usable: {first_line(error)}"
        return details
    try:
        import cupy

        details["runtime"] = _cuda_version(cupy.cuda.runtime.runtimeGetVersion())
    except Exception as error:
        details["runtime"] = f"unavailable ({type(error).__name__})"
    return details


def collect():
    backend, reason = choose_backend("auto")
    usable, _ = cuda_status()
    return {
        "versions": package_versions(),
        "cpu": cpu_description(),
        "memory_gib": round(memory_gib(), 1),
        "cuda": cuda_details(),
        "cuda_usable": usable,
        "auto_backend": backend,
        "auto_reason": reason,
    }

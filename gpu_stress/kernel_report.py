"""Compile every CUDA kernel to PTX and SASS with no GPU, and report on it.

For each kernel, precision and target (e.g. sm_80, sm_90): numba-cuda
compiles the kernel to PTX with NVVM, ``ptxas`` assembles it to SASS and
reports registers, spill stores and loads, and stack (local memory) bytes;
from the registers follows the kernel's theoretical occupancy at the
launchers' threads per block (``theoretical_occupancy``, for the compute
capabilities in SM_LIMITS). A kernel fails the
report if it spills, or if its float32 version contains
any float64 instruction (a silent promotion that halves GPU throughput).

Needs ``pip install 'gpu-stress[kernels]'``: numba-cuda with NVVM and a ptxas
of the same CUDA release (one cuda-toolkit version pins both).
"""

import contextlib
import glob
import multiprocessing
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .errors import UserError

PRECISIONS = ("float32", "float64")

_F64_INSTRUCTION = re.compile(r"^\s*(?:@!?%p\d+\s+)?([a-z][\w.]*\.f64)\b", re.M)
_F64_REGISTERS = re.compile(r"^\s*\.reg\s+\.f64\b", re.M)
_USAGE = re.compile(r"Used (\d+) registers")
_FRAME = re.compile(r"(\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads")
_RELEASE = re.compile(r"release (\d+\.\d+)")


# Per streaming multiprocessor, by compute capability (CUDA C++ Programming Guide, "Compute
# Capabilities", technical specifications table): 32-bit registers, resident warps, resident blocks.
# Registers are allocated per warp, in units of 256, from each of the SM's four sub-partitions.
SM_LIMITS = {
    70: (65536, 64, 32),
    75: (65536, 32, 16),
    80: (65536, 64, 32),
    86: (65536, 48, 16),
    87: (65536, 48, 16),
    89: (65536, 48, 24),
    90: (65536, 64, 32),
    100: (65536, 64, 32),
    120: (65536, 48, 32),
}
_REGISTER_UNIT = 256
_SUB_PARTITIONS = 4
_WARP = 32


def theoretical_occupancy(registers, threads_per_block, target):
    """Resident warps per SM over the most it can hold, for a kernel of ``registers`` per thread.

    blocks = min(warps the registers allow // warps per block, max warps // warps per block,
    max blocks), where a warp's registers are rounded up to the allocation unit and each of
    the four sub-partitions holds a quarter of the SM's. Shared memory, of which the kernels
    use a few kB a block (their parameters), limits none of them first. None for a compute
    capability not in SM_LIMITS.

    >>> theoretical_occupancy(64, 128, "sm_80")  # 2048 registers a warp: 32 of 64 warps
    0.5
    """
    limits = SM_LIMITS.get(int(str(target).removeprefix("sm_")))
    if limits is None:
        return None
    registers_per_sm, max_warps, max_blocks = limits
    warps_per_block = -(-threads_per_block // _WARP)
    registers_per_warp = -(-registers * _WARP // _REGISTER_UNIT) * _REGISTER_UNIT
    warps_by_registers = registers_per_sm // _SUB_PARTITIONS // registers_per_warp * _SUB_PARTITIONS
    blocks = min(warps_by_registers // warps_per_block, max_warps // warps_per_block, max_blocks)
    return blocks * warps_per_block / max_warps


def best_occupancy(registers, target):
    """The most ``theoretical_occupancy`` any block size (a multiple of 32 threads) gives."""
    if int(str(target).removeprefix("sm_")) not in SM_LIMITS:
        return None
    return max(theoretical_occupancy(registers, threads, target) for threads in range(_WARP, 1025, _WARP))


class KernelReportError(UserError, RuntimeError):
    """The toolchain is missing or mismatched; ``str()`` says what to install."""


@dataclass
class KernelReport:
    kernel: str
    precision: str
    target: str
    registers: int
    spill_stores: int
    spill_loads: int
    stack_bytes: int
    float64_instructions: list
    ptx_lines: int
    threads_per_block: int
    occupancy: float | None  # theoretical, at threads_per_block (``theoretical_occupancy``)
    best_occupancy: float | None  # the most any threads per block (a multiple of 32) would give

    @property
    def problems(self):
        found = []
        if self.spill_stores or self.spill_loads:
            found.append(f"spills ({self.spill_stores} B stored, {self.spill_loads} B loaded)")
        if self.precision == "float32" and self.float64_instructions:
            found.append(f"float64 instructions in a float32 kernel: {', '.join(self.float64_instructions[:5])}")
        return found


def find_ptxas():
    """ptxas from the nvidia-cuda-nvcc wheel, CUDA_HOME or PATH."""
    candidates = []
    for folder in map(Path, sys.path):
        candidates += sorted(glob.glob(str(folder / "nvidia" / "*" / "bin" / "ptxas")))
    for home in (os.environ.get("CUDA_HOME"), os.environ.get("CUDA_PATH"), "/usr/local/cuda"):
        if home:
            candidates.append(str(Path(home) / "bin" / "ptxas"))
    candidates.append(shutil.which("ptxas"))
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise KernelReportError("ptxas not found: pip install 'gpu-stress[kernels]' (or set CUDA_HOME)")


def ptxas_release(ptxas):
    output = subprocess.run([ptxas, "--version"], capture_output=True, text=True, check=True).stdout
    return _RELEASE.search(output).group(1)


def float64_instructions(ptx):
    """Distinct PTX instructions that operate on float64 (register declarations included)."""
    found = sorted(set(_F64_INSTRUCTION.findall(ptx)))
    if _F64_REGISTERS.search(ptx):
        found.insert(0, ".reg .f64")
    return found


@contextlib.contextmanager
def _compiling_for(compute_capability):
    """Let device functions compile for ``compute_capability`` with no GPU attached.

    numba-cuda asks the current device for its compute capability when it
    compiles a device function called from a kernel; ``compile_ptx`` itself
    needs no device. Answer that one question, only while compiling here.
    """
    from types import SimpleNamespace

    from numba.cuda import dispatcher

    original = dispatcher.get_current_device
    dispatcher.get_current_device = lambda: SimpleNamespace(compute_capability=compute_capability)
    try:
        yield
    finally:
        dispatcher.get_current_device = original


def _report_one_target(target):
    """All kernels and precisions for one target, in a fresh process (see ``report``)."""
    import numba
    from numba import cuda

    from .kernels.cuda import SIGNATURES, THREADS_PER_BLOCK

    compute_capability = (int(target[:-1]), int(target[-1]))
    ptxas = find_ptxas()
    reports, nvvm_releases = [], set()
    with _compiling_for(compute_capability), tempfile.TemporaryDirectory() as folder:
        for name, (factory, signature) in SIGNATURES.items():
            for precision in PRECISIONS:
                float_type = getattr(numba, precision)
                kernel = factory(getattr(np, precision))
                try:
                    ptx, _ = cuda.compile_ptx(kernel.py_func, signature(float_type), cc=compute_capability)
                except Exception as error:  # no NVVM, or one numba-cuda cannot load: which extra to install
                    raise KernelReportError(
                        f"cannot compile {name} ({precision}) for sm_{target}: {type(error).__name__}: "
                        f"{' '.join(str(error).split())[:160]} (the CUDA compiler comes with "
                        "pip install 'gpu-stress[kernels]')"
                    ) from None
                nvvm_releases.update(_RELEASE.findall(ptx[:500]))
                source = Path(folder) / f"{name}_{precision}.ptx"
                source.write_text(ptx)
                assembled = subprocess.run(
                    [ptxas, f"-arch=sm_{target}", "-v", str(source), "-o", os.devnull],
                    capture_output=True,
                    text=True,
                )
                if assembled.returncode != 0:
                    raise KernelReportError(f"ptxas failed on {name} ({precision}): {assembled.stderr.strip()}")
                frame = [int(x) for x in _FRAME.search(assembled.stderr).groups()]
                registers = int(_USAGE.search(assembled.stderr).group(1))
                reports.append(
                    KernelReport(
                        kernel=name,
                        precision=precision,
                        target=f"sm_{target}",
                        registers=registers,
                        stack_bytes=frame[0],
                        spill_stores=frame[1],
                        spill_loads=frame[2],
                        float64_instructions=float64_instructions(ptx),
                        ptx_lines=ptx.count("\n"),
                        threads_per_block=THREADS_PER_BLOCK,
                        occupancy=theoretical_occupancy(registers, THREADS_PER_BLOCK, target),
                        best_occupancy=best_occupancy(registers, target),
                    )
                )
    return [asdict(report) for report in reports], sorted(nvvm_releases), ptxas_release(ptxas)


def report(targets):
    """KernelReports for every kernel, precision and target ("80", "90", ...).

    Each target compiles in a fresh process: numba caches compiled device
    functions per argument types, not per target, so sharing a process would
    reuse the first target's device functions. The targets compile side by
    side, one process each (as many at a time as there are cores).
    """
    context = multiprocessing.get_context("spawn")
    processes = max(1, min(len(targets), os.cpu_count() or 1))
    with context.Pool(processes, maxtasksperchild=1) as pool:  # one target per process, never two
        compiled = pool.map(_report_one_target, targets, chunksize=1)
    reports = []
    for found, nvvm_releases, ptxas in compiled:
        if any(release != ptxas for release in nvvm_releases):
            raise KernelReportError(
                f"ptxas is CUDA {ptxas} but NVVM is CUDA {', '.join(nvvm_releases)}: install matching versions "
                "(pip install 'gpu-stress[kernels]')"
            )
        reports += [KernelReport(**item) for item in found]
    return reports

"""kernels/ installs as gpu_stress.kernels, never as a top-level `kernels` module."""

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import gpu_stress.kernels

ROOT = Path(__file__).resolve().parent.parent


def test_source_or_editable_install_maps_kernels_into_the_package():
    assert Path(gpu_stress.kernels.__file__).resolve().parent == ROOT / "kernels"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    folder = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(folder), str(ROOT)],
        check=True,
        capture_output=True,
    )
    return next(folder.glob("gpu_stress-*.whl"))


def test_wheel_ships_kernels_inside_the_package(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert "gpu_stress/kernels/rng.py" in names
    assert "gpu_stress/config/presets/coreweave.toml" in names
    assert not any(name.startswith("kernels/") for name in names)


def test_wheel_ships_every_module_of_the_source_tree(wheel):
    """A subpackage missing from pyproject's package list would install without its modules."""
    names = set(zipfile.ZipFile(wheel).namelist())
    sources = {
        f"gpu_stress/{path.relative_to(ROOT / 'gpu_stress').as_posix()}" for path in (ROOT / "gpu_stress").rglob("*.py")
    }
    sources |= {f"gpu_stress/kernels/{path.name}" for path in (ROOT / "kernels").glob("*.py")}
    assert sorted(sources - names) == []


def test_regular_install_imports_the_kernels(wheel, tmp_path):
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site), str(wheel)],
        check=True,
        capture_output=True,
    )
    probe = (
        "import gpu_stress.kernels.path as p, gpu_stress.config as c, gpu_stress.cli;"
        "print(p.__file__); print(c.preset_names())"
    )
    environment = dict(os.environ, PYTHONPATH=str(site))
    result = subprocess.run(
        [sys.executable, "-P", "-c", probe], cwd=tmp_path, env=environment, capture_output=True, text=True, check=True
    )
    module_file, presets = result.stdout.splitlines()
    assert Path(module_file).is_relative_to(site / "gpu_stress" / "kernels")
    assert "coreweave" in presets

"""Packaging: a wheel built from the project carries the git hook shim templates, and the
installed code finds them through its own package resources, not through the source tree
or sys.prefix (so a wheel, a `pip install --user` and a `--target` install all work)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("pyproject.toml", "README.md", "beads", "gt", "githooks")
SHIMS = ("reference-transaction", "post-receive", "pre-receive")

# Run with the installed copy alone on the path (-I -S: no site-packages, no source tree).
PROBE = """
import json, sys
from importlib import resources
sys.path.insert(0, sys.argv[1])
from gt import githooks
print(json.dumps({
    "module": githooks.__file__,
    "rendered": {name: githooks.render(name, "/opt/some python") for name in sys.argv[2:]},
    "resources": sorted(p.name for p in resources.files("githooks").iterdir()),
}))
"""


def pip(*args: str, cwd: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "pip", *args], cwd=cwd,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_a_wheel_ships_the_hook_templates_as_package_data(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(ROOT / name, source / name)
    pip("wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q", "-w",
        str(tmp_path / "dist"), str(source), cwd=tmp_path)
    wheel = next((tmp_path / "dist").glob("gastown_py-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert {f"githooks/{shim}" for shim in SHIMS} <= set(names)
    assert not [name for name in names if ".data/" in name]  # nothing under sys.prefix
    target = tmp_path / "target"
    pip("install", "--no-deps", "--no-index", "-q", "--target", str(target), str(wheel),
        cwd=tmp_path)
    probe = subprocess.run([sys.executable, "-I", "-S", "-c", PROBE, str(target), *SHIMS],
                           cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert probe.returncode == 0, probe.stderr
    found = json.loads(probe.stdout)
    assert Path(found["module"]).is_relative_to(target)
    assert set(SHIMS) <= set(found["resources"])
    for shim in SHIMS:
        template = (ROOT / "githooks" / shim).read_text()
        assert found["rendered"][shim] == template.replace("@GT_PYTHON@", "'/opt/some python'")

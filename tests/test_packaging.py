"""The wheel carries the bundled catalog: build it, install it into a fresh venv, run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from tests.helpers import bundled_count

pytestmark = pytest.mark.slow  # left out of `make test-fast`

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-q",
            "-w",
            str(out),
            str(REPO),
        ],
        check=True,
        timeout=300,
    )
    (built,) = out.glob("genesis_cli-*.whl")
    return built


def test_wheel_contains_the_catalog_inside_the_package(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "genesis_cli/catalogs/chutes.json" in names
    assert "genesis_cli/cli/__init__.py" in names
    for wing in ("cli/ui", "flows/onboard", "oauth/protocol", "config/json5_edit", "store/vault"):
        assert f"genesis_cli/{wing}.py" in names
    assert "genesis_cli/providers/chutes/__init__.py" in names
    assert "genesis_cli/tee/nvidia_device_identity_ca.pem" in names  # the GPU chains' root
    assert not any(name.startswith("genesis_cli/tests") or "acme" in name for name in names)


def test_installed_wheel_lists_the_nine_bundled_models(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "fresh"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120
    )
    python = venv / "bin" / "python"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "--no-index",
            "-q",
            str(wheel),
        ],
        check=True,
        timeout=300,
    )
    # The runtime dependencies come from the test venv; genesis itself only from the wheel.
    fresh_site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout.strip()
    )
    (fresh_site / "zz_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    env = {**os.environ, "GENESIS_STATE_DIR": str(tmp_path / "state")}
    env.pop("PYTHONPATH", None)
    where = subprocess.run(
        [str(python), "-c", "import genesis_cli; print(genesis_cli.__file__)"],
        cwd=workdir,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    assert where.startswith(str(venv))
    result = subprocess.run(
        [str(venv / "bin" / "genesis"), "models", "list", "--offline", "--json"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["source"] == "bundled"
    assert len(document["models"]) == bundled_count()
    module = subprocess.run(
        [str(python), "-m", "genesis_cli", "--version"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert module.returncode == 0 and "genesis, version" in module.stdout

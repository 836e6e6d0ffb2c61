"""scripts/lib.sh finds uv or installs it privately, never into the machine's own Python.

Each test copies lib.sh into an empty checkout and runs its `ensure_uv` with a PATH of our
making: a "machine" Python (a fresh venv without uv, standing for the system interpreter) and
nothing else but what the script calls.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BASH = shutil.which("bash") or "/bin/bash"


def _snapshot(folder: Path) -> dict[str, int]:
    """Every file under `folder`, with its modification time: what "untouched" compares."""
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*")}


class Checkout:
    """A checkout with only scripts/lib.sh, and a PATH of `python3` and the tools lib.sh uses."""

    def __init__(self, tmp_path: Path, python3: Path) -> None:
        self.root = tmp_path / "checkout"
        (self.root / "scripts").mkdir(parents=True)
        shutil.copy(ROOT / "scripts" / "lib.sh", self.root / "scripts" / "lib.sh")
        self.bin = tmp_path / "bin"
        self.bin.mkdir()
        # A wrapper, not a symlink: through a symlink a venv's Python is its base interpreter.
        (self.bin / "python3").write_text(f'#!/bin/sh\nexec "{python3}" "$@"\n')
        (self.bin / "python3").chmod(0o755)
        for tool in ("dirname", "rm"):
            (self.bin / tool).symlink_to(shutil.which(tool) or f"/usr/bin/{tool}")

    def ensure_uv(self, ci: str = "") -> subprocess.CompletedProcess[str]:
        """Source lib.sh and run ensure_uv; print which uv it chose and its version."""
        env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "CI")}
        env.update(PATH=str(self.bin), CI=ci)
        script = 'source scripts/lib.sh && ensure_uv && echo "uv=$UV" && "$UV" --version'
        return subprocess.run(
            [BASH, "-c", script], cwd=self.root, env=env, capture_output=True, text=True,
            timeout=300,
        )  # fmt: skip


@pytest.fixture
def machine_python(tmp_path: Path) -> Path:
    """A Python without uv, standing for the machine's own interpreter."""
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", tmp_path / "machine"], check=True
    )
    return tmp_path / "machine" / "bin" / "python3"


def test_without_uv_on_path_it_installs_into_a_private_folder(
    tmp_path: Path, machine_python: Path
) -> None:
    checkout = Checkout(tmp_path, machine_python)
    machine = tmp_path / "machine"
    before = _snapshot(machine)
    first = checkout.ensure_uv()
    assert first.returncode == 0, first.stderr
    private = checkout.root / ".tools" / "uv" / "bin" / "uv"
    assert f"uv={private}\n" in first.stdout
    assert first.stdout.splitlines()[-1].startswith("uv 0."), first.stdout
    assert _snapshot(machine) == before, "the machine's Python was changed"
    # The second time the private uv is there already: nothing is installed again.
    second = checkout.ensure_uv()
    assert second.returncode == 0, second.stderr
    assert "installing" not in second.stderr
    assert f"uv={private}\n" in second.stdout


def test_a_uv_on_path_is_used_as_it_is(tmp_path: Path, machine_python: Path) -> None:
    checkout = Checkout(tmp_path, machine_python)
    (checkout.bin / "uv").write_text("#!/bin/sh\necho 'uv 0.99.0 (the one on PATH)'\n")
    (checkout.bin / "uv").chmod(0o755)
    result = checkout.ensure_uv()
    assert result.returncode == 0, result.stderr
    assert result.stdout == "uv=uv\nuv 0.99.0 (the one on PATH)\n"
    assert not (checkout.root / ".tools").exists()


def test_when_uv_cannot_be_installed_the_failure_names_the_fix(tmp_path: Path) -> None:
    broken = tmp_path / "python3-without-venv"
    broken.write_text("#!/bin/sh\necho 'No module named venv' >&2\nexit 1\n")
    broken.chmod(0o755)
    result = Checkout(tmp_path, broken).ensure_uv(ci="true")
    assert result.returncode != 0
    assert "uv is not on PATH and could not be installed into .tools/uv/" in result.stderr
    assert "https://docs.astral.sh/uv/" in result.stderr
    assert "apt-get install python3-venv" in result.stderr
    assert "CI=true: a missing tool fails the run" in result.stderr
    assert not (tmp_path / "checkout" / ".tools" / "uv").exists()

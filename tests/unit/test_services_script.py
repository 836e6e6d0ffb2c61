"""scripts/services.sh: a service that cannot be started fails the run, naming the fix."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _ensure(check: str, start: str, ci: str) -> subprocess.CompletedProcess[str]:
    script = f'source scripts/services.sh; ensure_service Fakebase {check} "{start}"'
    env = {**os.environ, "CI": ci, "ACCORD_SERVICE_WAIT": "1"}
    return subprocess.run(
        ["bash", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=30
    )


def test_a_missing_service_fails_loudly_under_ci_naming_the_start_command() -> None:
    result = _ensure("false", "echo cannot-start-fakebase", ci="true")
    assert result.returncode != 0
    assert "Fakebase is not running" in result.stderr
    assert "Start it with: echo cannot-start-fakebase" in result.stderr
    assert "CI=true: a missing service fails the run" in result.stderr


def test_a_running_service_is_left_alone() -> None:
    result = _ensure("true", "echo should-not-run", ci="true")
    assert result.returncode == 0
    assert "should-not-run" not in result.stderr + result.stdout

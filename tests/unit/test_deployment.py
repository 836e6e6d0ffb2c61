"""docker-compose.yml and the Dockerfile agree with the code: health checks, env names, files."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from tests.e2e.services import WARM_STOP
from workflow.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return data


def test_databases_have_health_checks() -> None:
    services = _compose()["services"]
    for name in ("postgres", "redis"):
        check = services[name]["healthcheck"]["test"]
        assert check, f"{name} has no health check"


def test_migrate_waits_for_healthy_services_and_seeds() -> None:
    migrate = _compose()["services"]["migrate"]
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    command = " ".join(migrate["command"])
    assert "accord db upgrade" in command
    assert "accord seed" in command


def test_every_accord_variable_is_a_setting() -> None:
    """A misspelt ACCORD_ variable in compose would be silently ignored; refuse it here."""
    known = {f"ACCORD_{name.upper()}" for name in Settings.model_fields}
    compose = _compose()
    names = set(compose["x-accord-env"])
    for service in compose["services"].values():
        env = service.get("environment") or {}
        names |= {n for n in env if n.startswith("ACCORD_")}
    assert names <= known, f"unknown settings: {sorted(names - known)}"


def test_dockerfile_installs_from_the_lock_file_and_copies_every_package() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "uv sync --locked" in dockerfile
    for package in ("workflow", "models", "migrations", "tasks", "cli", "data", "api", "notify"):
        assert f"COPY {package} " in dockerfile, f"{package} is not copied into the image"


def test_worker_beat_and_mail_viewer_run_after_migration_and_restart() -> None:
    services = _compose()["services"]
    for name in ("worker", "beat"):
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )
        assert services[name]["restart"] == "unless-stopped"
    assert services["beat"]["command"] == ["accord", "beat"]
    assert {"flower", "mailpit"} <= set(services)


def test_the_api_serves_after_migration_with_a_health_check() -> None:
    api = _compose()["services"]["api"]
    assert api["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert api["restart"] == "unless-stopped"
    assert api["command"][:2] == ["accord", "serve"]
    assert api["healthcheck"]["test"][0] == "CMD-SHELL"
    assert "/api/v1/health" in api["healthcheck"]["test"][1]
    assert "8000:8000" in api["ports"]


def _seconds(duration: str) -> float:
    """A compose duration ("6m", "1m30s", "90s") in seconds."""
    units = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|h|m|s)", duration)
    assert "".join(n + u for n, u in parts) == duration, f"not a duration: {duration}"
    return sum(float(n) * units[u] for n, u in parts)


def test_docker_stop_lets_the_worker_finish_its_warm_shutdown() -> None:
    """docker stop SIGKILLs after 10 s unless told otherwise. A warm shutdown lets the running
    tasks finish (the task time limit at most), then may add billiard's child-exit wait."""
    compose = _compose()
    default = Settings.model_fields["task_time_limit"].default
    limit = float(compose["x-accord-env"].get("ACCORD_TASK_TIME_LIMIT", default))
    grace = str(compose["services"]["worker"].get("stop_grace_period", "10s"))
    assert _seconds(grace) >= limit + WARM_STOP, f"worker's stop_grace_period is {grace}"


def test_redis_keeps_queued_messages_across_a_restart() -> None:
    command = _compose()["services"]["redis"]["command"]
    assert command[command.index("--appendonly") + 1] == "yes"


# A release is major.minor.patch; PostgreSQL numbers its releases major.minor (16.6).
TWO_PART_RELEASES = {"postgres"}


def _images() -> dict[str, str]:
    """Every image the stack pulls: compose's `image:` lines and the Dockerfile's FROM."""
    found = {name: s["image"] for name, s in _compose()["services"].items() if "image" in s}
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        if line.startswith("FROM "):
            found["Dockerfile"] = line.split()[1]
    return found


def test_every_image_is_pinned_to_a_release() -> None:
    """`latest` or a bare major (`redis:7`) pulls something else next month; name the release."""
    loose = {}
    for where, image in _images().items():
        name, _, tag = image.rpartition(":")
        parts = 2 if name.rsplit("/", 1)[-1] in TWO_PART_RELEASES else 3
        if not re.fullmatch(rf"v?\d+(\.\d+){{{parts - 1}}}(-[a-z0-9.]+)?", tag):
            loose[where] = image
    assert "Dockerfile" in _images(), "the Dockerfile has no FROM line"
    assert not loose, f"images not pinned to a release: {loose}"

"""docker-compose.yml's Accord services, run as compose would run them, without a Docker engine.

The image is laid out from the Dockerfile (tests/e2e/image.py); each service's command runs in
its WORKDIR as the image's user, with only the image's and compose's environment, compose's
host names pointed at a fresh PostgreSQL database, a private redis-server and a real SMTP server.
migrate must finish and seed; worker and beat must come up healthy and stay up.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.conftest import PG_ADMIN_URL
from tests.e2e.image import ROOT, Image, build_image
from tests.e2e.services import WARM_STOP, RedisServer, live_members, tail, wait_for
from tests.smtp_server import SmtpServer, free_port

READY = 90.0  # seconds for a service to become healthy on a loaded two-core machine


@dataclass
class Deployment:
    """The laid-out image and the environment compose would give the Accord services."""

    image: Image
    services: dict[str, Any]
    env: dict[str, str]
    database_url: str

    def command(self, service: str) -> list[str]:
        """The service's command, run as the image's user."""
        return [*self.image.as_user(), *self.services[service]["command"]]

    def healthcheck(self, service: str) -> list[str]:
        """The service's compose health check, `$$` unescaped as compose does."""
        test = self.services[service]["healthcheck"]["test"]
        assert test[0] == "CMD-SHELL", test
        return [*self.image.as_user(), "sh", "-c", test[1].replace("$$", "$")]


def _compose_env(
    compose: dict[str, Any], db_url: str, broker: str, smtp: SmtpServer
) -> dict[str, str]:
    """compose's x-accord-env with its host names pointed at the services of this test."""
    env = {k: str(v) for k, v in compose["x-accord-env"].items()}
    ours = make_url(db_url)
    compose_url = make_url(env["ACCORD_DATABASE_URL"])
    assert compose_url.drivername == ours.drivername, "compose and the tests use other drivers"
    env["ACCORD_DATABASE_URL"] = db_url
    assert env["ACCORD_BROKER_URL"].startswith("redis://redis:6379/"), env["ACCORD_BROKER_URL"]
    env["ACCORD_BROKER_URL"] = broker
    assert env["ACCORD_SMTP_HOST"] == "mailpit"
    env.update(ACCORD_SMTP_HOST="127.0.0.1", ACCORD_SMTP_PORT=str(smtp.port))
    return env


@pytest.fixture(scope="module")
def deployment() -> Iterator[Deployment]:
    """The image, a fresh database, Redis and SMTP; all removed after the last test here."""
    compose: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    # Not under pytest's tmp folder: that one is private to root, and nobody must walk in.
    folder = Path(tempfile.mkdtemp(prefix="accord-image-"))
    folder.chmod(0o755)
    name = f"accord_compose_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    redis_server = RedisServer(folder / "redis")
    smtp = SmtpServer()
    try:
        image = build_image(folder / "root")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        db_url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
        redis_server.start()
        smtp.start()
        env = {**image.env, **_compose_env(compose, db_url, redis_server.url, smtp)}
        # What Docker adds: the container's host name, and the user's home from /etc/passwd.
        env.update(HOSTNAME=socket.gethostname(), HOME="/nonexistent")
        yield Deployment(image, compose["services"], env, db_url)
    finally:
        smtp.stop()
        redis_server.stop()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        subprocess.run(["rm", "-rf", str(folder)], check=False)


class Service:
    """One long-running service's command, in its own process group, logging to a file."""

    def __init__(
        self, deployment: Deployment, name: str, logs: Path, command: list[str] | None = None
    ) -> None:
        self.name, self.log = name, logs / f"{name}.log"
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                command or deployment.command(name), cwd=deployment.image.workdir,
                env=deployment.env,
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip

    def logged(self, pattern: str) -> bool:
        """Whether its log matches `pattern`; fails at once when the service has exited."""
        assert self.proc.poll() is None, f"{self.name} exited:\n{tail(self.log)}"
        return re.search(pattern, self.log.read_text(errors="replace")) is not None

    def stop(self) -> int | None:
        """SIGTERM (a warm shutdown), bounded; then SIGKILL whatever is left of the group."""
        pgid = self.proc.pid
        if self.proc.poll() is None:
            self.proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=WARM_STOP)
        if live_members(pgid):
            os.killpg(pgid, signal.SIGKILL)
            wait_for(lambda: not live_members(pgid), 10, f"{self.name}'s processes to die")
        return self.proc.wait(timeout=5)


@pytest.fixture(scope="module")
def migrated(deployment: Deployment) -> subprocess.CompletedProcess[str]:
    """The one-shot migrate service, run once: worker and beat start after it (compose's
    `service_completed_successfully`)."""
    return subprocess.run(
        deployment.command("migrate"), cwd=deployment.image.workdir, env=deployment.env,
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_migrate_upgrades_seeds_and_ticks_as_the_image_user(
    deployment: Deployment, migrated: subprocess.CompletedProcess[str]
) -> None:
    assert deployment.services["migrate"]["restart"] == "no"  # one-shot
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    assert "8 agreements" in migrated.stdout
    assert "tick " in migrated.stdout
    engine = create_engine(deployment.database_url)
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM agreements")) == 8
    engine.dispose()


def test_worker_and_beat_come_up_healthy_as_the_image_user(
    deployment: Deployment, migrated: subprocess.CompletedProcess[str], tmp_path: Path
) -> None:
    assert migrated.returncode == 0, f"migrate failed, so compose starts neither:\n{migrated}"
    worker = Service(deployment, "worker", tmp_path)
    beat = Service(deployment, "beat", tmp_path)
    try:
        node = re.escape(f"celery@{deployment.env['HOSTNAME']} ready.")
        wait_for(lambda: worker.logged(node), READY, "the worker's ready line")
        check = subprocess.run(
            deployment.healthcheck("worker"), cwd=deployment.image.workdir,
            env=deployment.env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert check.returncode == 0, check.stdout + check.stderr
        assert "pong" in check.stdout
        # Beat ticks: it sends the relay, and the worker runs it against the database.
        wait_for(lambda: beat.logged(r"Sending due task relay"), READY, "beat to send a task")
        relayed = r"Task accord\.relay\[[^]]*\] succeeded"
        wait_for(lambda: worker.logged(relayed), READY, "the worker to run beat's relay")
        home = deployment.image.workdir / deployment.env.get("ACCORD_HOME", "var")
        assert list(home.glob("celerybeat-schedule*")), f"no schedule file in {home}"
        assert deployment.image.writable == [home], "nobody may write only ACCORD_HOME"
        assert worker.proc.poll() is None, tail(worker.log)
        assert beat.proc.poll() is None, tail(beat.log)
    finally:
        codes = {"beat": beat.stop(), "worker": worker.stop()}
    assert codes == {"beat": 0, "worker": 0}, f"{tail(beat.log)}\n{tail(worker.log)}"


def test_the_api_comes_up_healthy_as_the_image_user(
    deployment: Deployment, migrated: subprocess.CompletedProcess[str], tmp_path: Path
) -> None:
    """compose's api command and health check, on a free port instead of 8000 (taken, maybe)."""
    assert migrated.returncode == 0, f"migrate failed, so compose starts no api:\n{migrated}"
    port = str(free_port())
    command = [port if part == "8000" else part for part in deployment.command("api")]
    check = [part.replace(":8000/", f":{port}/") for part in deployment.healthcheck("api")]
    assert command != deployment.command("api"), "the port was not found in the command"
    assert check != deployment.healthcheck("api"), "the port was not found in the health check"
    api = Service(deployment, "api", tmp_path, command)

    def healthy() -> bool:
        assert api.proc.poll() is None, f"api exited:\n{tail(api.log)}"
        done = subprocess.run(
            check, cwd=deployment.image.workdir, env=deployment.env,
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        return done.returncode == 0

    try:
        wait_for(healthy, READY, "the api's health check to pass", every=1)
        # The image's api asks for a user: without one, a 401 problem, not the agreements.
        anonymous = httpx.get(f"http://127.0.0.1:{port}/api/v1/agreements", timeout=10)
        assert (anonymous.status_code, anonymous.headers["content-type"]) == (
            401, "application/problem+json",
        )  # fmt: skip
    finally:
        code = api.stop()
    assert code in (0, -signal.SIGTERM), tail(api.log)
    assert "Traceback" not in api.log.read_text(), tail(api.log)

"""End-to-end fixtures: a private redis-server, a real SMTP server, PostgreSQL, and real Celery
worker and beat subprocesses configured through ACCORD_* variables, as in production.

One worker serves every test here (after a test kills it, the next gets a fresh one); each test
starts from empty tables, an empty queue, Redis up and an SMTP server that is up, holds nothing
and has no mail. The stack stops after the last test of this folder.
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import Engine, text

from models import Base, make_engine
from tasks.app import make_app
from tests.e2e.services import CELERY, CeleryProcess, RedisServer, wait_for
from tests.smtp_server import SmtpServer
from workflow.settings import Settings

T = TypeVar("T")

# Short intervals, so leases, back-offs and the retry cap play out in seconds.
TUNING = {
    "ACCORD_SEND_LEASE_SECONDS": "3",
    "ACCORD_RETRY_BACKOFF_SECONDS": "1",
    "ACCORD_MAX_SEND_ATTEMPTS": "3",
    "ACCORD_SWEEP_INTERVAL": "1",
    "ACCORD_RELAY_INTERVAL": "1",
    "ACCORD_SMTP_TIMEOUT": "10",
    "ACCORD_MAIL_FROM": "Accord E2E <accord@e2e.example>",
}


@dataclass
class Stack:
    """The running parts, and a Celery app on the same broker that the tests send tasks with."""

    folder: Path
    env: dict[str, str]
    settings: Settings
    app: Any
    engine: Engine
    redis: RedisServer
    smtp: SmtpServer
    worker: CeleryProcess | None = None
    beat: CeleryProcess | None = None
    starts: dict[str, int] = field(default_factory=dict)

    def _process(
        self, kind: str, args: list[str], ready_line: str, wait: bool = True
    ) -> CeleryProcess:
        n = self.starts[kind] = self.starts.get(kind, 0) + 1
        log = self.folder / f"{kind}-{n}.log"
        return CeleryProcess(args, self.env, log, ready_line).start(wait=wait)

    def start_worker(self) -> CeleryProcess:
        """Start the worker the brief names: prefork, two children, queue `accord`."""
        name = f"e2e{self.starts.get('worker', 0) + 1}"
        args = ["worker", "--pool", "prefork", "--concurrency", "2", "--loglevel", "INFO"]
        args += ["-Q", "accord", "-n", f"{name}@%h", "--without-mingle", "--without-gossip"]
        self.worker = self._process("worker", args, f"{name}@{socket.gethostname()} ready.")
        return self.worker

    def kill_worker(self) -> None:
        """SIGKILL the worker's whole process group: no warm shutdown, no acks, no cleanup."""
        assert self.worker is not None, "no worker to kill"
        self.worker.kill()

    def ensure_worker(self) -> CeleryProcess:
        """The running worker, or a new one when the last was killed or died."""
        if self.worker is not None and self.worker.alive:
            return self.worker
        if self.worker is not None:
            self.worker.stop(timeout=1)
        return self.start_worker()

    def start_beat(self, *, wait: bool = True) -> CeleryProcess:
        """A real `celery beat` with a schedule file of its own: sweep and relay every second."""
        n = self.starts.get("beat", 0) + 1
        args = ["beat", "--loglevel", "INFO", "-s", str(self.folder / f"beat-{n}.schedule")]
        args += ["--pidfile", str(self.folder / f"beat-{n}.pid")]
        self.beat = self._process("beat", args, "beat: Starting", wait)
        return self.beat

    def stop_beat(self) -> None:
        if self.beat is not None:
            self.beat.stop(timeout=5)
            self.beat = None

    def send(self, *names: str) -> None:
        """Send tasks by name through the broker, as beat does."""
        for name in names:
            self.app.send_task(name)

    def drive(
        self, check: Callable[[], T], timeout: float, what: str,
        tasks: tuple[str, ...] = ("accord.sweep",), every: float = 0.5,
    ) -> T:  # fmt: skip
        """Send `tasks` every `every` seconds until `check` returns something truthy."""

        def step() -> T:
            value = check()
            if not value:
                self.send(*tasks)
            return value

        return wait_for(step, timeout, what, every=every, details=self.logs)

    def logs(self) -> str:
        """The end of the worker's and beat's logs, for failure messages."""
        return "\n".join(p.tail() for p in (self.worker, self.beat) if p is not None)


def _truncate(engine: Engine) -> None:
    # No RESTART IDENTITY: ids never repeat, so a task left over from an earlier test finds
    # no row and does nothing, instead of acting on this test's row with the same id.
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} CASCADE"))


@pytest.fixture(scope="package")
def stack(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Redis, SMTP and the worker for these tests; all stopped after the last of them."""
    for needed, fix in (
        (shutil.which("redis-server"), "apt-get install redis-server"),
        (CELERY.exists(), "uv sync (the project's venv has no celery)"),
    ):
        assert needed, f"the end-to-end tests need it: {fix}"
    folder = tmp_path_factory.mktemp("e2e")
    redis_server = RedisServer(folder / "redis")
    redis_server.start()
    smtp = SmtpServer().start()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    env.update(TUNING)
    env.update(
        ACCORD_HOME=str(folder / "home"), ACCORD_DATABASE_URL=pg_url,
        ACCORD_BROKER_URL=redis_server.url, ACCORD_SMTP_HOST="127.0.0.1",
        ACCORD_SMTP_PORT=str(smtp.port), PYTHONPATH=str(Path(__file__).parents[2]),
        PYTHONUNBUFFERED="1",
    )  # fmt: skip
    # The worker's settings, read from the same variables it gets.
    ours = {k.removeprefix("ACCORD_").lower(): v for k, v in env.items() if k.startswith("ACCORD_")}
    settings = Settings.model_validate(ours)
    engine = make_engine(pg_url)
    s = Stack(folder, env, settings, make_app(settings), engine, redis_server, smtp)
    try:
        s.start_worker()
        yield s
    finally:
        smtp.recorder.release()  # a held send would delay the warm shutdown
        s.stop_beat()
        if s.worker is not None:
            s.worker.stop()
        smtp.stop()
        redis_server.stop()
        engine.dispose()


@pytest.fixture
def e2e(stack: Stack) -> Iterator[Stack]:
    """The stack, reset: services up, empty queue, empty tables, no mail; beat stopped after."""
    stack.redis.start()
    stack.smtp.recorder.release()
    stack.smtp.start()
    stack.ensure_worker()
    stack.app.control.purge()
    _truncate(stack.engine)
    stack.smtp.recorder.clear()
    yield stack
    stack.stop_beat()
    stack.smtp.recorder.release()

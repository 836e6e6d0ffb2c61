"""The real processes the end-to-end tests run: a private redis-server, Celery worker and beat.

Every wait here is bounded and fails with what it waited for and the process's last log lines.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from billiard import pool as billiard_pool

from tests.smtp_server import free_port

ROOT = Path(__file__).resolve().parents[2]
CELERY = Path(sys.executable).with_name("celery")  # the venv's, next to this Python
T = TypeVar("T")
# A pool child on its way out waits this long for the main process to read the results it sent.
# A warm shutdown that lands while a child holds a task it has not yet taken drops that task
# from the main process's books (Celery's AsynPool.flush); the child runs it all the same, its
# result is never read, and it waits the whole time (tests/e2e/test_worker_stop.py).
CHILD_EXIT_WAIT: float = (
    billiard_pool.GUARANTEE_MESSAGE_CONSUMPTION_RETRY_LIMIT
    * billiard_pool.GUARANTEE_MESSAGE_CONSUMPTION_RETRY_INTERVAL
)
# A warm shutdown (SIGTERM) of the worker is slow then, but bounded: that wait plus an ordinary
# shutdown (2-3 s measured, more on a loaded two-core machine).
WARM_STOP = CHILD_EXIT_WAIT + 30.0


def wait_for(
    check: Callable[[], T], timeout: float, what: str, *, every: float = 0.1,
    details: Callable[[], str] | None = None,
) -> T:  # fmt: skip
    """Poll `check` until it returns something truthy (returned); fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() >= deadline:
            extra = f"\n{details()}" if details else ""
            raise AssertionError(f"waited {timeout:.0f}s for {what}; last value {value!r}{extra}")
        time.sleep(every)


def tail(path: Path, lines: int = 40) -> str:
    """The last lines of a log file (empty when there is none yet)."""
    if not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def live_members(pgid: int) -> list[int]:
    """The pids of the process group's members that still run (zombies count as gone)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # "pid (comm) state ppid pgrp ...": comm may hold spaces, so split after ")".
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue  # exited while we looked
        if int(fields[2]) == pgid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


@dataclass
class RedisServer:
    """A redis-server of our own on a free port, which a test may stop and start again."""

    folder: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The broker URL of this server."""
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def log(self) -> Path:
        return self.folder / "redis.log"

    def _pong(self) -> bool:
        # A bare socket: redis-py's client retries a refused connection with back-off.
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def start(self) -> None:
        """Start (again) on the same port; persisted with an append-only file, like a broker."""
        if self.proc is not None and self.proc.poll() is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--dir", str(self.folder), "--save", "", "--appendonly", "yes"]
        command += ["--logfile", str(self.log)]
        self.proc = subprocess.Popen(command, cwd=self.folder, start_new_session=True)
        wait_for(
            lambda: self._pong() or self.proc is None or self.proc.poll() is not None,
            15, f"redis-server on port {self.port}", details=lambda: tail(self.log),
        )  # fmt: skip
        assert self.proc.poll() is None, f"redis-server exited:\n{tail(self.log)}"

    def stop(self) -> None:
        """Shut down gracefully (SIGTERM) and wait until the port refuses connections."""
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
        self.proc = None
        wait_for(lambda: not self._pong(), 5, f"redis on port {self.port} to go away")


@dataclass
class CeleryProcess:
    """One `celery worker` or `celery beat` subprocess, in its own process group."""

    args: list[str]
    env: dict[str, str]
    log: Path
    ready_line: str
    proc: subprocess.Popen[bytes] | None = None

    @property
    def alive(self) -> bool:
        """Whether the main process runs."""
        return self.proc is not None and self.proc.poll() is None

    def start(self, *, wait: bool = True) -> CeleryProcess:
        """Start it, logging to a fresh file, and (unless told not to) wait until it is ready."""
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [str(CELERY), "-A", "tasks.app", *self.args],
                cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: SIGKILL reaches every child
            )  # fmt: skip

        if wait:
            self.wait_ready()
        return self

    def ready(self) -> bool:
        """Whether its ready line is in the log; fails at once if the process has exited."""
        if not self.alive:
            raise AssertionError(f"celery {self.args[0]} exited:\n{tail(self.log)}")
        with self.log.open("rb") as f:
            return self.ready_line.encode() in f.read()

    def wait_ready(self, timeout: float = 60) -> None:
        """Wait for the ready line (imports take seconds on a busy two-core machine)."""
        wait_for(self.ready, timeout, f"celery {self.args[0]} to be ready", details=self.tail)

    def tail(self) -> str:
        """The end of the log, for failure messages."""
        return f"--- {self.log.name} ---\n{tail(self.log)}"

    def _group_gone(self, pgid: int) -> bool:
        return not live_members(pgid)

    def kill(self) -> None:
        """SIGKILL the whole process group (main process and pool children) and reap it."""
        assert self.proc is not None, "not started"
        pgid = self.proc.pid
        os.killpg(pgid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        wait_for(lambda: self._group_gone(pgid), 10, f"process group {pgid} to die")
        self.proc = None

    def stop(self, timeout: float = 15) -> None:
        """A warm shutdown (SIGTERM), then SIGKILL for whatever is left after `timeout`."""
        if self.proc is None:
            return
        pgid = self.proc.pid
        if self.proc.poll() is None:
            self.proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=timeout)
        if not self._group_gone(pgid):
            os.killpg(pgid, signal.SIGKILL)
            wait_for(lambda: self._group_gone(pgid), 10, f"process group {pgid} to die")
        self.proc.wait(timeout=5)
        self.proc = None

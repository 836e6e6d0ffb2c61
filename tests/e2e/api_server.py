"""A real `accord serve` process on a free loopback port, in its own process group."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.e2e.services import ROOT, live_members, tail, wait_for
from tests.smtp_server import free_port

ACCORD = Path(sys.executable).with_name("accord")  # the venv's console script


@dataclass
class ApiServer:
    """`accord serve --port PORT [extra]` with `env`, logging to `log`."""

    env: dict[str, str]
    log: Path
    extra: list[str] = field(default_factory=list)
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    token: str = ""  # a bearer token of the test's administrator, where one was made

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 90) -> ApiServer:
        """Start it and wait until /api/v1/health answers 200."""
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [str(ACCORD), "serve", "--port", str(self.port), *self.extra],
                cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        wait_for(self.healthy, timeout, "accord serve to answer", every=0.2, details=self.tail)
        return self

    def healthy(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise AssertionError(f"accord serve exited:\n{self.tail()}")
        try:
            return httpx.get(f"{self.url}/api/v1/health", timeout=5).status_code == 200
        except httpx.TransportError:
            return False

    def tail(self) -> str:
        return f"--- {self.log.name} ---\n{tail(self.log)}"

    def stop(self, timeout: float = 30) -> int | None:
        """SIGTERM (uvicorn's graceful shutdown); SIGKILL for whatever is left after `timeout`.
        The exit code of the SIGTERM, or None when it had to be killed."""
        if self.proc is None:
            return None
        pgid, code = self.proc.pid, None
        if self.proc.poll() is None:
            self.proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                code = self.proc.wait(timeout=timeout)
        else:
            code = self.proc.returncode
        # Helpers of the main process (multiprocessing's resource tracker) leave just after it.
        with contextlib.suppress(AssertionError):
            wait_for(lambda: not live_members(pgid), 10, "the process group to leave")
        if live_members(pgid):
            os.killpg(pgid, signal.SIGKILL)
            wait_for(lambda: not live_members(pgid), 10, "accord serve's processes to die")
            code = None
        self.proc.wait(timeout=5)
        self.proc = None
        return code

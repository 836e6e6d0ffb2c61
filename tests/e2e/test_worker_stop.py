"""A warm shutdown (SIGTERM) that lands while a pool child holds a task it has not yet taken.

That is the moment a worker busy with a stream of short tasks is most often stopped (compose's
worker draining the relay's burst). The race is forced, not waited for: both children are
frozen (SIGSTOP) before the task is sent, so it sits unread in a child's pipe; the main process
gets SIGTERM and is let through its consumer's shutdown; only then are the children thawed.
The worker must still run the task and exit 0 within WARM_STOP.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import signal
import socket
import struct
import subprocess
import termios
import time
from pathlib import Path

from tests.e2e.conftest import Stack
from tests.e2e.services import WARM_STOP, CeleryProcess, live_members, wait_for

QUEUE = "accord-stop"  # a queue of its own: the package's shared worker never takes these
TASK = "accord.handle_outbox"
DONE = re.compile(r"INFO/(ForkPoolWorker-\d+)\] Task accord\.handle_outbox\[[^]]*\] succeeded")
PAST_CONSUMER = "| Worker: Stopping Pool..."  # logged (DEBUG) once the consumer has shut down


def _state(pid: int) -> str:
    """The process's state letter (T when stopped)."""
    return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]


def _unread(pid: int) -> int:
    """Bytes waiting in the pipes `pid` reads from: where the main process writes it a task."""
    total = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        info = (Path(f"/proc/{pid}/fdinfo") / fd.name).read_text()
        flags = int(re.search(r"flags:\s*(\d+)", info).group(1), 8)  # type: ignore[union-attr]
        if not os.readlink(fd).startswith("pipe:") or flags & os.O_ACCMODE != os.O_RDONLY:
            continue
        pipe = os.open(fd, os.O_RDONLY | os.O_NONBLOCK)  # a second reader; it reads nothing
        try:
            total += struct.unpack("i", fcntl.ioctl(pipe, termios.FIONREAD, b"\0" * 4))[0]
        finally:
            os.close(pipe)
    return total


def test_a_warm_shutdown_with_a_task_in_a_childs_pipe_runs_it_and_exits_0(
    stack: Stack, tmp_path: Path
) -> None:
    args = ["worker", "--pool", "prefork", "--concurrency", "2", "--loglevel", "DEBUG"]
    args += ["-Q", QUEUE, "-n", "stop@%h", "--without-mingle", "--without-gossip"]
    ready = f"stop@{socket.gethostname()} ready."
    worker = CeleryProcess(args, stack.env, tmp_path / "worker.log", ready).start()
    assert worker.proc is not None
    main, children, sent = worker.proc.pid, [], 0

    def ran() -> list[str]:
        return DONE.findall(worker.log.read_text(errors="replace"))

    def send(n: int = 1) -> None:
        nonlocal sent
        sent += n
        for _ in range(n):
            stack.app.send_task(TASK, args=[0], queue=QUEUE)  # no such outbox row: a no-op

    def both_ran() -> bool:
        if len(set(ran())) == 2:
            return True
        send(4)  # more than one child can take at once
        return False

    try:
        # Each child has run a task, so it is up: none is replaced while it is frozen.
        wait_for(both_ran, 60, "both children to run a task", every=0.2, details=worker.tail)
        wait_for(lambda: len(ran()) == sent, 30, "every warm-up task run", details=worker.tail)
        children = [pid for pid in live_members(main) if pid != main]
        assert len(children) == 2, children
        for pid in children:
            os.kill(pid, signal.SIGSTOP)
        wait_for(lambda: all(_state(pid) == "T" for pid in children), 10, "the children frozen")
        assert sum(map(_unread, children)) == 0, "a child's pipe holds data before the task"
        send()
        wait_for(lambda: sum(map(_unread, children)), 30, "the task written into a child's pipe",
                 details=worker.tail)  # fmt: skip

        started = time.monotonic()
        worker.proc.terminate()
        wait_for(lambda: PAST_CONSUMER in worker.log.read_text(errors="replace"), 30,
                 "the worker past its consumer's shutdown", details=worker.tail)  # fmt: skip
        for pid in children:
            os.kill(pid, signal.SIGCONT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            worker.proc.wait(timeout=WARM_STOP - (time.monotonic() - started))
        took = time.monotonic() - started
        code = worker.proc.poll()
        assert code == 0, f"exit code {code} {took:.1f}s after SIGTERM\n{worker.tail()}"
        assert len(ran()) == sent, f"the held task did not run\n{worker.tail()}"
    finally:
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
        worker.stop(timeout=1)
        with stack.app.connection_for_write() as conn:
            conn.default_channel.queue_purge(QUEUE)  # what the shutdown handed back

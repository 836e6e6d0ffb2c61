"""Renewal reminder e-mails per second through a real Celery worker, against a no-op task.

    .venv/bin/python -m bench.email_rate [--tasks 1500] [--rounds 5] [--concurrency 2]

Starts, privately: a redis-server on a free port (the broker; tests/e2e/services.py), an aiosmtpd
server on loopback, a scratch PostgreSQL database, and one `celery worker --pool prefork
--concurrency 2 -Q accord -l INFO` (2: as docker-compose.yml runs it) configured through ACCORD_*
variables as in production (the app's own settings: acks late, prefetch 1, task events). Then,
in turn, --rounds times each:

  no-op  --tasks × `accord.noop`: the worker's task machinery alone (broker, prefork pool,
         acks, events), no database, no mail;
  email  --tasks pending, due renewal reminders (made by
         workflow.notices.reminders.materialize_due),
         handed to the worker as the sweep hands them: `accord.send_notifications` with
         --batch rows each (ACCORD_SEND_BATCH_SIZE, default 10). Per row the worker locks it,
         re-reads the agreement and its people, renders both parts, sends over SMTP on the
         connection its process keeps, and marks the row sent (tasks/delivering.py). The target.
  per-mail  --tasks more, one `accord.send_notification` per row: the same work per row, the
         task machinery paid per mail. Not a target.
  send-only  --tasks × `accord.bench.send_only` (bench/email_tasks.py, loaded by this worker
         only): the same reminder rendered and sent on the same kept connection, without the
         database. Not a target: it splits an e-mail's cost into the mail and the bookkeeping.

Each round: the worker stops consuming (control `cancel_consumer`) and finishes what it holds,
the tasks are published, the clock starts, the worker consumes again (`add_consumer`). A no-op
round ends when the queue and kombu's `unacked` hash are both empty (tasks are acknowledged once
run: nothing waits, nothing runs), polled every 2 ms; an e-mail round when the last message has
arrived at the SMTP server. Publishing is not timed. Prints the rates (median of the rounds),
the ratio e-mail / no-op (target ≥ --target), CPU per task of each process involved, the number
of SMTP connections the worker opened (one kept per pool process), and checks that every row
ended `sent` and each message arrived once and complete. Exits 1 when the ratio is missed or a
check fails.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from redis import Redis
from sqlalchemy import text

from bench import common
from bench.email_tasks import SEND_ONLY, facts_of
from models import make_engine
from tasks.app import make_app
from tests.e2e.services import CELERY, ROOT, CeleryProcess, RedisServer
from tests.e2e.world import people, signed, today
from tests.smtp_server import free_port
from workflow.notices import delivery, reminders
from workflow.settings import Settings
from workflow.uow import UnitOfWork

QUEUE = "accord"
NODE = "bench"
EXPIRES_IN = 30  # days: every reminder is the 30-day one, due today
UNACKED = "unacked"  # kombu's Redis transport: delivered, not yet acknowledged


class Sink:
    """An aiosmtpd handler that keeps each message's raw bytes and the connection it came over,
    and parses nothing while the clock runs (tests/smtp_server.py's Recorder parses every
    message: on two shared cores that would slow the worker it measures). Checked after."""

    def __init__(self) -> None:
        self.raw: list[bytes] = []
        self.peers: list[object] = []
        self.arrived = threading.Condition()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.arrived:
            self.raw.append(envelope.original_content or b"")
            self.peers.append(session.peer)  # (host, port): a new port is a new connection
            self.arrived.notify_all()
        return "250 2.0.0 Accepted"

    def wait(self, count: int, timeout: float) -> float:
        """Wait until `count` messages arrived in all; the clock when the last one did."""
        deadline = time.monotonic() + timeout
        with self.arrived:
            while len(self.raw) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise SystemExit(f"waited {timeout:.0f}s: {len(self.raw)}/{count} messages")
                self.arrived.wait(min(left, 0.5))
            return time.perf_counter()

    def messages(self) -> list[EmailMessage]:
        parser = BytesParser(policy=policy.default)
        return [parser.parsebytes(raw) for raw in self.raw]


@dataclass
class Stack:
    """The running parts, a Celery app on the same broker, and a Redis client to watch it."""

    app: Any
    worker: CeleryProcess
    sink: Sink
    broker: Redis
    destination: list[str] = field(default_factory=lambda: [f"{NODE}@{socket.gethostname()}"])

    def idle(self) -> bool:
        """Nothing waiting in the queue and nothing delivered but not yet acknowledged (with
        acks_late a task is acknowledged once it has run): every task published is done."""
        pipe = self.broker.pipeline()
        pipe.llen(QUEUE)
        pipe.hlen(UNACKED)
        waiting, unacked = pipe.execute()
        return bool(waiting == 0 and unacked == 0)

    def wait_idle(self, timeout: float) -> float:
        """Poll (every 2 ms) until idle; the clock when it was seen idle."""
        deadline = time.monotonic() + timeout
        while not self.idle():
            if time.monotonic() > deadline:
                raise SystemExit(f"waited {timeout:.0f}s for the worker to drain the queue")
            time.sleep(0.002)
        return time.perf_counter()


def control(stack: Stack, command: str) -> None:
    """cancel_consumer / add_consumer on the worker, waiting for its reply."""
    replies = getattr(stack.app.control, command)(
        QUEUE, reply=True, destination=stack.destination, timeout=10
    )
    if not replies:
        raise SystemExit(f"the worker did not answer {command}")


def publish(stack: Stack, name: str, args: Sequence[Sequence[object]]) -> float:
    """Publish one task per args while the worker does not consume, then let it consume; the
    clock when it was told to (the start of the drain)."""
    control(stack, "cancel_consumer")
    stack.wait_idle(30)  # what it had reserved already is done
    for a in args:
        stack.app.send_task(name, args=a, queue=QUEUE)
    started = time.perf_counter()
    control(stack, "add_consumer")
    return started


def noop_round(stack: Stack, n: int) -> float:
    """Seconds for the worker to run `n` no-ops (until queue and unacknowledged are empty)."""
    started = publish(stack, "accord.noop", [[i] for i in range(n)])
    return stack.wait_idle(60 + n / 10) - started


def email_round(stack: Stack, notification_ids: list[int], per_task: int) -> float:
    """Seconds until one message per notification arrived at the SMTP server: `per_task` rows
    per `accord.send_notifications` as the sweep publishes them, or with 1 one
    `accord.send_notification` per row."""
    before = len(stack.sink.raw)
    n = len(notification_ids)
    if per_task > 1:
        chunks = [notification_ids[i : i + per_task] for i in range(0, n, per_task)]
        started = publish(stack, "accord.send_notifications", [[chunk] for chunk in chunks])
    else:
        started = publish(stack, "accord.send_notification", [[i] for i in notification_ids])
    arrived = stack.sink.wait(before + n, 60 + n / 5) - started
    stack.wait_idle(60)  # and every task finished (its row marked sent)
    return arrived


def send_only_round(stack: Stack, first: int, n: int, facts: dict[str, Any]) -> float:
    """Seconds until `n` send-only mails (numbered from `first`) arrived."""
    before = len(stack.sink.raw)
    started = publish(stack, SEND_ONLY, [[first + i, facts] for i in range(n)])
    arrived = stack.sink.wait(before + n, 60 + n / 5) - started
    stack.wait_idle(60)
    return arrived


def reminder_facts(url: str, notification_id: int) -> dict[str, Any]:
    """One reminder's facts as the real loader reads them (in a transaction rolled back)."""
    engine = make_engine(url)
    with UnitOfWork(engine) as uow:
        loaded = delivery.begin(uow, notification_id, today=today(), default_offsets=[EXPIRES_IN])
    engine.dispose()
    assert loaded is not None, f"notification {notification_id} did not load"
    return facts_of(loaded)


def world(url: str, count: int) -> list[int]:
    """`count` agreements in force (one through the service, the rest cloned) with a
    coordinator, a unit mailbox and a partner contact, each with its 30-day renewal reminder
    due today made by the sweep's own code (workflow.notices.reminders.materialize_due);
    their ids."""
    engine = make_engine(url)
    people(engine)
    template = signed(engine, "Student exchange memorandum", expires_in=EXPIRES_IN)
    common.clone(url, common.template_of(engine, template.slug), [0] * (count - 1))
    common.mark_history_dispatched(url)
    common.analyze(url)
    with UnitOfWork(engine) as uow:
        made = reminders.materialize_due(uow, today(), default_offsets=[EXPIRES_IN])
        uow.commit()
    assert made == count, f"expected {count} reminders due, made {made}"
    with engine.connect() as conn:
        ids = list(conn.execute(text("SELECT id FROM notifications ORDER BY id")).scalars())
    engine.dispose()
    return ids


@contextmanager
def running(url: str, folder: Path, concurrency: int) -> Iterator[Stack]:
    """Redis, the SMTP server and the worker, as the end-to-end tests start them."""
    assert CELERY.exists(), "no celery in the venv: uv sync"
    redis = RedisServer(folder / "redis")
    redis.start()
    sink = Sink()
    smtp = Controller(sink, "127.0.0.1", free_port())
    smtp.start()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    env.update(
        ACCORD_HOME=str(folder / "home"), ACCORD_DATABASE_URL=url,
        ACCORD_BROKER_URL=redis.url, ACCORD_SMTP_HOST="127.0.0.1",
        ACCORD_SMTP_PORT=str(smtp.port), ACCORD_MAIL_FROM="Accord Bench <accord@bench.example>",
        PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1",
    )  # fmt: skip
    ours = {k.removeprefix("ACCORD_").lower(): v for k, v in env.items() if k.startswith("ACCORD_")}
    app = make_app(Settings.model_validate(ours))
    args = ["worker", "--pool", "prefork", "--concurrency", str(concurrency), "--loglevel", "INFO"]
    args += ["-Q", QUEUE, "-n", f"{NODE}@%h", "--without-mingle", "--without-gossip"]
    args += ["--include", "bench.email_tasks"]
    ready = f"{NODE}@{socket.gethostname()} ready."
    worker = CeleryProcess(args, env, folder / "worker.log", ready)
    broker = Redis.from_url(redis.url)
    try:
        worker.start()
        yield Stack(app, worker, sink, broker)
    finally:
        worker.stop()
        broker.close()
        smtp.stop()
        redis.stop()


def cpu_seconds(pid: int) -> float:
    """User + system CPU a process has used so far (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def processes(stack: Stack, url: str) -> dict[str, list[int]]:
    """The pids whose CPU a round costs: the worker's main process and pool children, the
    PostgreSQL backends serving them, and this process (the SMTP server, publishing, polling)."""
    main_pid = stack.worker.proc.pid if stack.worker.proc is not None else 0
    children = [
        int(stat.parent.name)
        for stat in Path("/proc").glob("[0-9]*/stat")
        if _parent(stat) == main_pid
    ]
    backends = [
        int(pid)
        for pid in common.column(
            url,
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()",
        )
    ]
    return {
        "worker main process": [main_pid],
        "worker pool processes": children,
        "PostgreSQL backends": backends,
        "bench process (SMTP server)": [os.getpid()],
    }


def _parent(stat: Path) -> int:
    try:
        return int(stat.read_text().rpartition(")")[2].split()[1])
    except (OSError, IndexError, ValueError):
        return -1


KINDS = ("noop", "email", "per-mail", "send-only")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.email_rate", description=__doc__.split("\n")[0]
    )
    common.admin_url_arg(parser)
    parser.add_argument("--tasks", type=int, default=1_500, help="tasks per round and kind")
    parser.add_argument("--rounds", type=int, default=5, help="rounds per kind, in turn")
    parser.add_argument("--warmup", type=int, default=100, help="tasks per kind before timing")
    parser.add_argument("--target", type=float, default=0.5, help="email/no-op must reach this")
    parser.add_argument("--concurrency", type=int, default=2, help="worker pool processes")
    parser.add_argument(
        "--batch", type=int, default=Settings().send_batch_size, help="rows per task (email arm)"
    )
    args = parser.parse_args(argv)
    n, procs = args.tasks, args.concurrency
    failures: list[str] = []

    print(f"load average before: {common.load()}; worker concurrency {procs}")
    times: dict[str, list[float]] = {kind: [] for kind in KINDS}
    cpu: dict[str, dict[str, float]] = {kind: {} for kind in KINDS}
    with (
        common.scratch_database(args.admin_url) as url,
        tempfile.TemporaryDirectory(prefix="accord-bench-") as tmp,
    ):
        started = time.perf_counter()
        ids = world(url, 2 * args.warmup + 2 * args.rounds * n)  # email and per-mail arms
        facts = reminder_facts(url, ids[0])
        print(
            f"setup: {len(ids):,} agreements in force, each with its renewal reminder due "
            f"today, in {time.perf_counter() - started:.1f}s"
        )
        with running(url, Path(tmp), procs) as stack:
            noop_round(stack, args.warmup)
            email_round(stack, ids[: args.warmup], args.batch)  # connections made, code warm
            email_round(stack, ids[args.warmup : 2 * args.warmup], 1)
            send_only_round(stack, 0, args.warmup, facts)
            pids = processes(stack, url)
            for r in range(args.rounds):
                first = 2 * args.warmup + 2 * r * n
                batched, single = ids[first : first + n], ids[first + n : first + 2 * n]
                turn = r % len(KINDS)
                for kind in KINDS[turn:] + KINDS[:turn]:  # each kind goes first in turn
                    before = {k: sum(map(cpu_seconds, v)) for k, v in pids.items()}
                    if kind == "noop":
                        seconds = noop_round(stack, n)
                    elif kind == "email":
                        seconds = email_round(stack, batched, args.batch)
                    elif kind == "per-mail":
                        seconds = email_round(stack, single, 1)
                    else:
                        seconds = send_only_round(stack, args.warmup + r * n, n, facts)
                    for k, v in pids.items():
                        used = sum(map(cpu_seconds, v)) - before[k]
                        cpu[kind][k] = cpu[kind].get(k, 0.0) + used
                    times[kind].append(seconds)
                    print(
                        f"round {r + 1}: {kind:<9} {n:,} in {seconds:.2f}s "
                        f"({common.rate(n, seconds)}); load average {common.load()}"
                    )
            sessions = len(set(stack.sink.peers))
            messages = stack.sink.messages()
            log_tail = stack.worker.tail()
        sent = common.count(url, "SELECT count(*) FROM notifications WHERE status = 'sent'")

    rates = {k: [n / s for s in v] for k, v in times.items()}
    median = {k: statistics.median(v) for k, v in rates.items()}
    ratio = median["email"] / median["noop"]
    print(f"load average after: {common.load()}")
    units = {"noop": "tasks", "email": "mails", "per-mail": "mails", "send-only": "mails"}
    for kind, unit in units.items():
        rounds = ", ".join(f"{x:,.0f}" for x in rates[kind])
        print(f"{kind + ':':<11}{rounds} {unit}/s → median {median[kind]:,.0f}/s")
    print(
        f"ratio:     email ({args.batch} per task)/no-op {ratio:.2f}× (target ≥ {args.target:g}×)"
    )
    print(
        f"           per-mail/no-op {median['per-mail'] / median['noop']:.2f}×; "
        f"send-only/no-op {median['send-only'] / median['noop']:.2f}×; "
        f"per-mail/send-only {median['per-mail'] / median['send-only']:.2f}× (the database's share)"
    )
    print("CPU per task or mail (ms), " + " / ".join(KINDS) + ":")
    for k in cpu["noop"]:
        per = [1000 * cpu[kind][k] / (n * args.rounds) for kind in KINDS]
        print(f"    {k:<28} " + " / ".join(f"{x:6.2f}" for x in per))
    totals = [1000 * sum(cpu[kind].values()) / (n * args.rounds) for kind in KINDS]
    print(f"    {'all of them':<28} " + " / ".join(f"{x:6.2f}" for x in totals))
    expected = len(ids) + args.warmup + args.rounds * n  # the rows' mails and the send-only ones
    message_ids = [m["Message-ID"] for m in messages]
    complete = sum(
        1
        for m in messages
        if str(m["Subject"]).strip().startswith("Renewal reminder:")
        and len(m["To"].addresses) == 3
        and m.get_body(preferencelist=("plain",)) is not None
        and m.get_body(preferencelist=("html",)) is not None
    )
    print(
        f"SMTP:      {len(messages):,} messages over {sessions} connection(s) for {procs} pool "
        f"processes; {len(set(message_ids)):,} distinct Message-IDs; {complete:,} complete "
        f"(subject, 3 recipients, text and HTML); {sent:,} of {len(ids):,} rows sent"
    )
    if not (len(messages) == len(set(message_ids)) == complete == expected and sent == len(ids)):
        failures.append("not every reminder arrived, complete and exactly once")
        print(log_tail)
    if sessions > procs:
        failures.append(f"{sessions} SMTP connections for {procs} worker processes")
    if ratio < args.target:
        failures.append(f"email/no-op {ratio:.2f}×, target ≥ {args.target:g}×")
    for failure in failures:
        print(f"MISSED: {failure}", file=sys.stderr)
    if not failures:
        print(f"target met: email ≥ {args.target:g}× no-op; one SMTP connection per process")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Running and watching the background side: `worker`, `beat`, `outbox status`, `dead-letters`.

`accord worker` and `accord beat` exec the real Celery programs (`celery -A tasks.app ...`), so
signals reach Celery itself and a supervisor sees one process; the settings are checked first,
so a bad value is one line here instead of a traceback from Celery's import of the app.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.common import JsonFlag, TodayOpt, dash, echo_json, engine_scope, table, today_from
from workflow.errors import InvalidInput
from workflow.notices import deadletters, outbox
from workflow.ops import views as ops_views
from workflow.uow import UnitOfWork

if TYPE_CHECKING:
    from workflow.settings import Settings

CELERY_APP = "tasks.app"
QUEUE = "accord"
# `accord worker -c 2 --loglevel=debug`: everything after the command goes to Celery unchanged.
PASSTHROUGH = {"allow_extra_args": True, "ignore_unknown_options": True}


def _given(args: Sequence[str], *names: str) -> bool:
    """Whether the user passed one of the options `names` (as `-Q x`, `-Qx` or `--queues=x`)."""
    for arg in args:
        for name in names:
            if arg == name or arg.startswith(name + "=" if name.startswith("--") else name):
                return True
    return False


def celery_argv(program: str, extra: Sequence[str], settings: Settings) -> list[str]:
    """The command line of the real Celery `program` (worker or beat) for Accord's app."""
    argv = [sys.executable, "-m", "celery", "-A", CELERY_APP, program]
    if program == "worker" and not _given(extra, "-Q", "--queues"):
        argv += ["-Q", QUEUE]
    if program == "beat" and not _given(extra, "-s", "--schedule"):
        # Beat remembers when each entry last ran; the file lives with the other embedded state.
        argv += ["-s", str((settings.home / "celerybeat-schedule").resolve())]
    if not _given(extra, "-l", "--loglevel"):
        argv += ["-l", "INFO"]
    return [*argv, *extra]


def _schedule_folder(settings: Settings) -> None:
    """Make ACCORD_HOME for beat's schedule file: with server URLs nothing else makes it."""
    home = settings.home
    try:
        home.mkdir(parents=True, exist_ok=True)
        writable, why = os.access(home, os.W_OK | os.X_OK), "is not writable"
    except OSError as exc:
        writable, why = False, f"cannot be made ({exc.strerror or type(exc).__name__})"
    if not writable:
        raise InvalidInput(
            f"beat keeps its schedule file in ACCORD_HOME ({home}), which {why}: "
            "set ACCORD_HOME to a folder it may write, or pass -s FILE"
        )


def _exec_celery(program: str, extra: Sequence[str]) -> None:
    from workflow.settings import Settings

    settings = Settings()  # a bad ACCORD_* value fails here, as one line
    settings.resolved_database_url()  # creates the home folder of the embedded defaults
    settings.resolved_broker_url()
    if program == "beat" and not _given(extra, "-s", "--schedule"):
        _schedule_folder(settings)
    argv = celery_argv(program, extra, settings)
    shown = shlex.join(["celery", *argv[3:]])
    typer.echo(f"accord: exec {shown}", err=True)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, argv)


def worker(ctx: typer.Context) -> None:
    """Run the Celery worker (`celery -A tasks.app worker -Q accord`); extra args go to Celery."""
    _exec_celery("worker", ctx.args)


def beat(ctx: typer.Context) -> None:
    """Run Celery beat (`celery -A tasks.app beat`), the one scheduler; extra args go to Celery."""
    _exec_celery("beat", ctx.args)


# ---------------------------------------------------------------- outbox status


outbox_app = typer.Typer(help="The outbox: is committed work reaching the worker?")


def broker_waiting(settings: Settings) -> tuple[int | None, str | None]:
    """Messages waiting in the broker's queue, or None and why it could not be asked."""
    from kombu.exceptions import ChannelError  # Celery's transport layer, loaded on demand

    from tasks.app import make_app

    celery = make_app(settings)
    try:
        with celery.connection_for_read() as conn:
            conn.ensure_connection(max_retries=1, timeout=5)
            try:
                declared = conn.default_channel.queue_declare(queue=QUEUE, passive=True)
            except ChannelError:  # the queue does not exist yet (Redis): nothing waits
                return 0, None
            return int(declared.message_count), None
    except Exception as exc:  # unreachable or misconfigured: say so, the rest still counts
        return None, f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}"


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat(timespec="seconds")


@outbox_app.command("status")
def status(today: TodayOpt = None, as_json: JsonFlag = False) -> None:
    """Outbox rows waiting, notifications by status, dead letters and the broker's queue."""
    from workflow.settings import Settings

    day = today_from(today)
    with engine_scope() as engine, UnitOfWork(engine) as uow:
        box = outbox.status(uow)
        counts = ops_views.counts(uow, day)
    waiting, broker_error = broker_waiting(Settings())
    data: dict[str, Any] = {
        "today": day.isoformat(),
        "outbox": {
            "pending": box.pending,
            "retrying": box.retrying,
            "dispatched": box.dispatched,
            "oldest_pending_at": _iso(box.oldest_pending_at),
            "last_error": box.last_error,
        },
        "notifications": {**counts.by_status, "due": counts.due},
        "dead_letters": counts.dead_letters,
        "broker": {"queue": QUEUE, "waiting": waiting, "error": broker_error},
    }
    if as_json:
        echo_json(data)
        return
    oldest = f", oldest from {_iso(box.oldest_pending_at)}" if box.oldest_pending_at else ""
    typer.echo(
        f"outbox:        {box.pending} pending ({box.retrying} retrying{oldest}), "
        f"{box.dispatched} dispatched"
    )
    if box.last_error:
        typer.echo(f"  last error: {box.last_error}")
    others = ", ".join(f"{n} {s}" for s, n in counts.by_status.items() if s != "pending")
    typer.echo(
        f"notifications: {counts.by_status['pending']} pending "
        f"({counts.due} due by {day.isoformat()}), {others}"
    )
    hint = " (`accord dead-letters list`)" if counts.dead_letters else ""
    typer.echo(f"dead letters:  {counts.dead_letters} not replayed{hint}")
    if broker_error:
        typer.echo(f"broker:        unreachable ({broker_error})")
    else:
        typer.echo(f"broker:        {waiting} message(s) waiting in queue {QUEUE}")


# ---------------------------------------------------------------- dead letters


dead_app = typer.Typer(
    help="Work that failed past its retry cap: list it, send it again.", no_args_is_help=True
)


@dead_app.command("list")
def list_dead(
    include_all: Annotated[
        bool, typer.Option("--all", help="Also those already replayed.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Dead letters, newest first (replayed ones only with --all)."""
    with engine_scope() as engine, UnitOfWork(engine) as uow:
        found = deadletters.list_dead(uow, include_replayed=include_all)
    if as_json:
        echo_json([deadletters.as_json(d) for d in found])
        return
    if not found:
        typer.echo("no dead letters" if include_all else "no dead letters waiting for a replay")
        return
    rows = [
        [
            str(d.id),
            d.failed_at.strftime("%Y-%m-%d %H:%M"),
            dash(d.kind),
            dash(d.notification_id),
            str(d.attempts),
            dash(_iso(d.replayed_at)),
            " ".join(d.error.split()),
        ]
        for d in found
    ]
    header = ["ID", "FAILED", "KIND", "NOTIFICATION", "ATTEMPTS", "REPLAYED", "ERROR"]
    typer.echo(table(rows, header))


@dead_app.command("replay")
def replay(
    dead_letter_id: Annotated[int, typer.Argument(metavar="ID", help="The dead letter's id.")],
) -> None:
    """Queue a dead letter's notification again, with fresh attempts."""
    with engine_scope() as engine, UnitOfWork(engine) as uow:
        notification_id = deadletters.replay(uow, dead_letter_id)
        uow.commit()
    typer.echo(
        f"dead letter {dead_letter_id} replayed: notification {notification_id} is pending "
        "again; the worker's next sweep sends it (or run `accord reminders run`)"
    )

"""The `accord` command: the Typer app and the one place that turns errors into exit codes.

Every failure reaches the user as ONE line on stderr; only ACCORD_DEBUG=1 shows a traceback.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Sequence

import typer
from pydantic import ValidationError
from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    IntegrityError,
    OperationalError,
    ProgrammingError,
)
from typer.main import get_command

from cli import (
    agreements,
    db,
    institutions,
    meetings,
    ops,
    overview,
    partnerships,
    people,
    reminders,
    serve,
    tokens,
    units,
    users,
)
from workflow.errors import AccordError

app = typer.Typer(
    name="accord",
    help="Accord: track inter-institutional agreements through their lifecycle.",
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    no_args_is_help=True,
)
app.add_typer(db.app, name="db")
app.add_typer(agreements.app, name="agreements")
app.add_typer(institutions.app, name="institutions")
app.add_typer(units.app, name="units")
app.add_typer(people.app, name="people")
app.add_typer(partnerships.app, name="partnerships")
app.command("seed")(db.seed)
app.command("tick")(overview.tick)
app.command("board")(overview.board)
app.command("initiatives")(overview.initiatives)
app.command("lifecycle")(overview.lifecycle_diagram)
app.command("worker", context_settings=ops.PASSTHROUGH)(ops.worker)
app.command("beat", context_settings=ops.PASSTHROUGH)(ops.beat)
app.command("serve")(serve.serve)
app.add_typer(reminders.app, name="reminders")
app.add_typer(meetings.app, name="meetings")
app.add_typer(ops.outbox_app, name="outbox")
app.add_typer(ops.dead_app, name="dead-letters")
app.add_typer(users.app, name="users")
app.add_typer(tokens.app, name="tokens")
app.add_typer(tokens.audit_app, name="audit")

PROG = "accord"
EXIT_USER, EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED = 1, 2, 70, 130
MISSING_TABLE_SQLSTATE = "42P01"  # PostgreSQL's undefined_table


def one_line(message: object) -> str:
    """A message squeezed onto one line, so scripts can rely on one line per error."""
    return " ".join(str(message).split()) or "(no message)"


def first_line(message: object, limit: int = 300) -> str:
    """The first line of a message, cut short: SQLAlchemy appends the statement and parameters."""
    lines = str(message).strip().splitlines()
    text = lines[0] if lines else ""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def fail(message: object, code: int, prefix: str = "error") -> int:
    """Print `accord: <prefix>: <message>` on stderr and return `code`."""
    typer.echo(f"{PROG}: {prefix}: {one_line(message)}", err=True)
    return code


def _missing_table(exc: DBAPIError) -> bool:
    if getattr(exc.orig, "sqlstate", None) == MISSING_TABLE_SQLSTATE:
        return True
    return "no such table" in str(exc.orig).lower()


def _settings_message(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        # The field names the variable; a list's index is an item of its value, counted from 1.
        field, *inside = err["loc"] or ("",)
        where = "".join(f": item {i + 1}" if isinstance(i, int) else f".{i}" for i in inside)
        message = str(err["msg"]).removeprefix("Value error, ")
        # A rule across fields (loc empty) names its variables in its own message.
        parts.append(f"ACCORD_{str(field).upper()}{where}: {message}" if field else message)
    return "bad setting " + "; ".join(parts)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI on `argv` (default: sys.argv[1:]) and return the exit code; never raises."""
    command = get_command(app)
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        result = command.main(args=args, prog_name=PROG, standalone_mode=False)
    except typer.Abort:
        return fail("interrupted", EXIT_INTERRUPTED)
    except typer.TyperException as exc:  # Typer's vendored Click: UsageError, BadParameter, ...
        if type(exc).__name__ == "NoArgsIsHelpError":  # a bare group: show its help, not an error
            typer.echo(exc.format_message(), err=True)
            return EXIT_USAGE
        return fail(exc.format_message(), EXIT_USAGE)
    except AccordError as exc:
        return fail(exc, EXIT_USER)
    except ValidationError as exc:
        return fail(_settings_message(exc), EXIT_USER)
    except IntegrityError as exc:  # a clash no check before could see (another writer's row)
        from workflow.integrity import integrity_message

        return fail(integrity_message(exc), EXIT_USER)
    except DataError as exc:  # a value the schema cannot hold: too long, out of range
        return fail(f"the database refused a value: {first_line(exc.orig)}", EXIT_USER)
    except (OperationalError, ProgrammingError) as exc:
        if _missing_table(exc):
            return fail("database not ready: run `accord db upgrade`", EXIT_USER)
        if isinstance(exc, OperationalError):  # cannot connect, locked, disk full: not a bug
            return fail(f"database unavailable: {first_line(exc.orig)}", EXIT_USER)
        return _internal(exc)
    except Exception as exc:
        return _internal(exc)
    return result if isinstance(result, int) else 0


def _internal(exc: Exception) -> int:
    if os.environ.get("ACCORD_DEBUG") == "1":
        traceback.print_exc()
    return fail(
        f"{type(exc).__name__}: {first_line(exc)} (set ACCORD_DEBUG=1 for the traceback)",
        EXIT_INTERNAL,
        prefix="internal error",
    )


def run() -> None:
    """The console script `accord`."""
    sys.exit(main())


if __name__ == "__main__":
    run()

"""What every command shares: settings and engine per invocation, today, dates, actor, output."""

from __future__ import annotations

import json
import os
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Annotated, Any

import typer
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from models import make_engine
from workflow.errors import InvalidInput

# Options several commands share, so they read and behave the same everywhere.
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON (stable contract).")]
Ref = Annotated[
    str,
    typer.Argument(metavar="REF", help="The agreement's id, slug or a piece of its title."),
]
TodayOpt = Annotated[
    str | None, typer.Option("--today", metavar="DATE", help="As of this day (YYYY-MM-DD).")
]


def database_url() -> str:
    """The database URL from a fresh Settings: tests and users change the env between calls.

    A SQLite file's folder must exist (the embedded default's is made); the file itself need
    not, for `accord db upgrade` creates it.
    """
    from workflow.database_file import check_folder
    from workflow.settings import Settings  # pydantic-settings: paid by the commands that read it

    return check_folder(Settings().resolved_database_url())


@contextmanager
def engine_scope() -> Iterator[Engine]:
    """An engine for this invocation, disposed at the end so no connection outlives the command.

    The database must exist: SQLite would create an empty file on connecting, so a command
    other than `accord db upgrade` would leave one behind.
    """
    from workflow.database_file import require_database

    engine = make_engine(require_database(database_url()))
    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def read_session() -> Iterator[Session]:
    """A session for reading; it never commits."""
    with engine_scope() as engine, Session(engine) as session:
        yield session


def parse_date(value: str | None, option: str) -> date | None:
    """A YYYY-MM-DD date given to `option`, or an error naming the option and the value."""
    from workflow.validation import parse_day

    return parse_day(value, option)


def today_from(value: str | None) -> date:
    """The --today given, else today's date in UTC."""
    return parse_date(value, "--today") or datetime.now(UTC).date()


def actor_from(value: str | None) -> str:
    """The --actor given, else the login name, else `cli`; checked as any actor is."""
    from workflow.validation import actor_name

    if value is not None:
        return actor_name(value, "--actor")
    try:
        return actor_name(os.environ.get("USER") or "cli", "the login name in $USER")
    except InvalidInput as exc:  # the user never typed it: say where it came from, and the way out
        raise InvalidInput(f"{exc}; give --actor NAME") from None


def echo_json(data: Any) -> None:
    """Print `data` as indented JSON (the stable machine-readable contract)."""
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


def visible(text: str) -> str:
    """`text` with control characters escaped: a stored comment must not drive the terminal."""
    return "".join(
        c.encode("unicode_escape").decode() if unicodedata.category(c) in ("Cc", "Cf") else c
        for c in text
    )


def table(rows: Sequence[Sequence[str]], header: Sequence[str] | None = None) -> str:
    """Rows as left-aligned columns two spaces apart; the last column is not padded."""
    lines = [list(header)] if header else []
    lines += [[visible(cell) for cell in r] for r in rows]
    if not lines:
        return ""
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]) - 1)]
    out = []
    for line in lines:
        cells = [cell.ljust(width) for cell, width in zip(line, widths, strict=False)]
        out.append("  ".join([*cells, line[-1]]).rstrip())
    return "\n".join(out)


def csv_text(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A header line and rows as CSV (RFC 4180 quoting, CRLF line ends)."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def dash(value: Any) -> str:
    """A value for a human table: a dash for missing."""
    return "-" if value is None or value == "" else str(value)

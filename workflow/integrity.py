"""What an integrity error clashed on, read from the driver's own report, said in one line.

PostgreSQL (psycopg) reports the constraint, the table and a detail `Key (col)=(value) already
exists.`; SQLite names only `table.column`, so the value is looked up in the INSERT's parameters.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError

_UNIQUE_SQLSTATE = "23505"
_PG_KEY = re.compile(r"Key \((?P<columns>.+?)\)=\((?P<values>.*)\) already exists")
_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (?P<columns>.+)")
# One row's INSERT with its column list: the parameters then line up with the columns.
_INSERT = re.compile(
    r'^\s*INSERT INTO "?(?P<table>\w+)"? \((?P<columns>[^)]*)\) VALUES \((?P<marks>[^)]*)\)'
    r"(?P<rest>[^(]*)$",
    re.IGNORECASE | re.DOTALL,
)


@dataclass(frozen=True)
class Clash:
    """A unique key the database refused: its table, columns and, where known, the values."""

    table: str | None
    columns: tuple[str, ...]
    values: str | None

    def __str__(self) -> str:
        table = self.table or "a table"
        if len(self.columns) == 1:
            value = "" if self.values is None else f" {self.values!r}"
            return f"{table}.{self.columns[0]}{value}"
        value = "" if self.values is None else f" = ({self.values})"
        return f"{table} ({', '.join(self.columns)}){value}"


def clash_of(exc: IntegrityError) -> Clash | None:
    """The unique key `exc` is about, or None when it is another kind of integrity error."""
    orig = exc.orig
    diag = getattr(orig, "diag", None)
    if diag is not None:  # psycopg
        if getattr(orig, "sqlstate", None) != _UNIQUE_SQLSTATE:
            return None
        found = _PG_KEY.search(diag.message_detail or "")
        if found is None:
            return Clash(diag.table_name, (diag.constraint_name or "?",), None)
        columns = tuple(c.strip() for c in found["columns"].split(","))
        return Clash(diag.table_name, columns, found["values"])
    found = _SQLITE_UNIQUE.search(str(orig))
    if found is None:
        return None
    qualified = [c.strip() for c in found["columns"].split(",")]
    table = qualified[0].partition(".")[0] if "." in qualified[0] else None
    columns = tuple(c.rpartition(".")[2] for c in qualified)
    return Clash(table, columns, _inserted_values(exc.statement, exc.params, columns))


def _inserted_values(statement: str | None, params: Any, columns: Sequence[str]) -> str | None:
    """The values a one-row INSERT gave `columns`, or None when the statement does not say."""
    found = _INSERT.match(statement or "")
    if found is None or not isinstance(params, tuple):  # a list is many rows: which one?
        return None
    names = [c.strip().strip('"') for c in found["columns"].split(",")]
    if len(names) != len(params) or not set(columns) <= set(names):
        return None
    given = dict(zip(names, params, strict=True))
    return ", ".join(str(given[c]) for c in columns)


def is_clash_on(exc: IntegrityError, table: str, column: str) -> bool:
    """Whether `exc` is a unique-key clash on `table.column` (alone)."""
    clash = clash_of(exc)
    return clash is not None and (clash.table, clash.columns) == (table, (column,))


def integrity_message(exc: IntegrityError) -> str:
    """One line for the user: the value that clashed and what to do about it."""
    clash = clash_of(exc)
    if clash is not None:
        return (
            f"{clash} exists already: another command may have just stored it; "
            "run yours again, or choose another value"
        )
    orig = exc.orig
    diag = getattr(orig, "diag", None)
    detail = getattr(diag, "message_detail", None) if diag is not None else None
    said = " ".join(str(orig).split("\n")[0].split())
    return f"the database refused the change: {said}" + (f" ({detail})" if detail else "")

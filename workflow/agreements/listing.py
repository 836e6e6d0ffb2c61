"""How `agreements list` (and later the API) sorts and pages, as SQL clauses; its table's rows.

Pages are keyset pages on (sort value, id): the cursor names the last row shown, so the next
page starts from an index position instead of counting past every earlier row as OFFSET would.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    bindparam,
    or_,
)

from models import Agreement
from workflow.errors import InvalidInput

A = Agreement.__table__.c
# The fields a listing sorts by; every sort is tie-broken by id, so pages are stable.
SORTS: dict[str, Any] = {
    name: A[name] for name in ("id", "slug", "state", "proposed_on", "signed_on", "expires_on")
}
_DATES = {"proposed_on", "signed_on", "expires_on"}
_NULLABLE = {"signed_on", "expires_on"}
MAX_LIMIT = 200


@dataclass(frozen=True)
class Sort:
    """A sort field and direction, as `--sort` spells it (`-expires_on`: latest first)."""

    field: str
    descending: bool = False

    @property
    def spelled(self) -> str:
        """The `--sort` value this sort came from."""
        return f"-{self.field}" if self.descending else self.field


def parse_sort(value: str | None, default: str = "id") -> Sort:
    """A `--sort` value, or an error listing the fields."""
    text = (value if value is not None else default).strip()
    field = text.removeprefix("-")
    if field not in SORTS:
        fields = ", ".join(SORTS)
        raise InvalidInput(f"--sort {value!r}: sort by one of {fields} (prefix - for descending)")
    return Sort(field, text.startswith("-"))


def parse_limit(limit: int | None) -> int | None:
    """A page size from 1 to MAX_LIMIT, or None for every row."""
    if limit is not None and not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"--limit must be from 1 to {MAX_LIMIT}, not {limit}")
    return limit


@lru_cache(maxsize=32)
def _order_by(sort: Sort) -> tuple[Any, ...]:
    column, key = SORTS[sort.field], A.id
    if sort.descending:
        return (column.desc().nulls_first(), key.desc()) if sort.field != "id" else (key.desc(),)
    return (column.asc().nulls_last(), key.asc()) if sort.field != "id" else (key.asc(),)


def order_by(sort: Sort) -> list[Any]:
    """ORDER BY for a sort: missing dates last going up, first going down (a btree's order)."""
    return list(_order_by(sort))


def encode_cursor(sort: Sort, row: dict[str, Any]) -> str:
    """The opaque cursor after `row` (a listing row with `id` and the sort field)."""
    value = row[sort.field]
    payload = json.dumps([sort.spelled, value, row["id"]], separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


_BAD = "--after: not a cursor this listing printed; run the listing again without --after"


def decode_cursor(cursor: str, sort: Sort) -> tuple[Any, int]:
    """The (sort value, id) a cursor holds, refused if malformed or made for another sort."""
    text = cursor.strip()
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        spelled, value, last_id = json.loads(raw.decode())
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise InvalidInput(_BAD) from None
    if spelled != sort.spelled:
        raise InvalidInput(
            f"--after: the cursor was made for --sort {spelled}, not --sort {sort.spelled};"
            " give the same --sort or drop --after"
        )
    if type(last_id) is not int:
        raise InvalidInput(_BAD)
    try:
        return _typed(sort.field, value), last_id
    except (TypeError, ValueError):
        raise InvalidInput(_BAD) from None


def _typed(field: str, value: Any) -> Any:
    if field == "id":
        if type(value) is not int:
            raise TypeError(value)
        return value
    if value is None:
        if field in _NULLABLE:
            return None
        raise TypeError(value)
    if not isinstance(value, str):
        raise TypeError(value)
    return date.fromisoformat(value) if field in _DATES else value


@dataclass(frozen=True)
class Piece:
    """One index range of a page: which clause (None: none) and its cursor parameters."""

    name: str | None
    params: dict[str, Any]


def segments(sort: Sort, cursor: tuple[Any, int] | None) -> list[Piece]:
    """The rows after the cursor (all, without one) as one or two pieces, read in turn: each
    an index range in the sort's order. A missing date sorts after every date going up, so
    `date >= v AND (date > v OR id > last)` and then `date IS NULL`, instead of one OR that no
    index range answers; going down the missing ones come first."""
    nullable = sort.field in _NULLABLE
    if cursor is None:
        if nullable and not sort.descending:
            return [Piece("not_null", {}), Piece("null", {})]
        return [Piece(None, {})]
    value, last_id = cursor
    at = {"after_id": last_id}
    if sort.field == "id":
        return [Piece("id_before" if sort.descending else "id_after", at)]
    if not sort.descending:
        if value is None:
            return [Piece("null_after", at)]
        rest = [Piece("null", {})] if nullable else []
        return [Piece("from", {**at, "after_value": value}), *rest]
    if value is None:
        return [Piece("null_before", at), Piece("not_null", {})]
    return [Piece("to", {**at, "after_value": value})]


@lru_cache(maxsize=128)
def piece_clause(sort: Sort, name: str) -> ColumnElement[bool]:
    """The clause of a piece `segments` named, its cursor values bound as parameters."""
    key, column = A.id, SORTS[sort.field]
    last: Any = bindparam("after_id")
    value: Any = bindparam("after_value")
    clauses: dict[str, Any] = {
        "not_null": lambda: column.is_not(None),
        "null": lambda: column.is_(None),
        "id_after": lambda: key > last,
        "id_before": lambda: key < last,
        "null_after": lambda: and_(column.is_(None), key > last),
        "null_before": lambda: and_(column.is_(None), key < last),
        "from": lambda: and_(column >= value, or_(column > value, key > last)),
        "to": lambda: and_(column <= value, or_(column < value, key < last)),
    }
    result: ColumnElement[bool] = clauses[name]()
    return result


def with_piece(where: Sequence[Any], sort: Sort, piece: Piece) -> list[Any]:
    """The WHERE clauses and, if it has one, the piece's."""
    return [*where] if piece.name is None else [*where, piece_clause(sort, piece.name)]

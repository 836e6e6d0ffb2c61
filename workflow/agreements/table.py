"""The rows `agreements list` prints as its table (and CSV): a few columns in one statement.

The statement of each filter shape, sort and piece is built once and kept: a page then costs
SQLAlchemy a cache lookup instead of building and keying a new statement, and the rows come back
as plain tuples, turned straight into the JSON dicts' names and ISO dates.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Select, String, bindparam, func, select, type_coerce
from sqlalchemy.orm import Session

from models import Institution, Partnership
from workflow.agreements.listing import SORTS, A, Piece, Sort, order_by, with_piece


def _table_statement(
    where: Sequence[Any], sort: Sort, piece: str | None, limited: bool
) -> Select[Any]:
    """The table's columns (and the sort's, for the cursor, unless shown) in one statement,
    built once per shape. Values come back as the driver reads them (no enum or date
    conversion: the dicts carry names and ISO dates)."""
    text = String()
    columns = [
        A.id,
        A.slug,
        type_coerce(A.state, text).label("state"),
        type_coerce(A.kind, text).label("kind"),
        func.coalesce(func.nullif(Institution.short_name, ""), Institution.name).label("partner"),
        type_coerce(A.expires_on, text).label("expires_on"),
        type_coerce(A.renewal_type, text).label("renewal_type"),
    ]
    if sort.field not in _SHOWN:
        columns.append(type_coerce(SORTS[sort.field], text).label("sort_key"))
    query = (
        select(*columns)
        .join(Partnership, Partnership.id == A.partnership_id)
        .join(Institution, Institution.id == Partnership.partner_id)
        .where(*with_piece(where, sort, Piece(piece, {})))
        .order_by(*order_by(sort))
    )
    return query.limit(bindparam("fetch")) if limited else query


# The sort fields the table's rows hold anyway.
_SHOWN = frozenset({"id", "slug", "state", "expires_on"})
# The table's statements by (filter shape, sort, piece, limited): a few dozen in practice.
_STATEMENTS: dict[tuple[Any, ...], Select[Any]] = {}


def rows(
    session: Session,
    shape: tuple[str, ...],
    where: Sequence[Any],
    params: dict[str, Any],
    sort: Sort,
    piece: Piece,
    fetch: int | None,
) -> list[dict[str, Any]]:
    """The table's rows (id, slug, state, kind, partner, expires_on, renewal_type and the sort
    field), as the JSON dicts spell them. `where` are the clauses of the filters' `shape`."""
    key = (shape, sort, piece.name, fetch is not None)
    query = _STATEMENTS.get(key)
    if query is None:
        if len(_STATEMENTS) >= 512:
            _STATEMENTS.clear()
        query = _STATEMENTS[key] = _table_statement(where, sort, piece.name, fetch is not None)
    values = {**params, **piece.params, "fetch": fetch}
    read = session.connection().execute(query, values).all()  # Core: no ORM layer for rows
    found = [
        {
            "id": r[0],
            "slug": r[1],
            "state": r[2],
            "kind": r[3],
            "partner": r[4],
            "expires_on": r[5].isoformat() if isinstance(r[5], date) else r[5],
            "renewal_type": r[6],
        }
        for r in read
    ]
    if sort.field not in _SHOWN:  # the cursor's value: a date
        for row, r in zip(found, read, strict=True):
            row[sort.field] = _plain(r[7])
    return found


def _plain(value: Any) -> Any:
    """A date as the JSON dicts carry it (ISO); on SQLite the driver reads it as that text."""
    return value.isoformat() if isinstance(value, date) else value

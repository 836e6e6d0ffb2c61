"""What `agreements list` (and later the API) filters, sorts and pages by, as SQL clauses.

Pages are keyset pages on (sort value, id): the cursor names the last row shown, so the next
page starts from an index position instead of counting past every earlier row as OFFSET would.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.orm import Session

from models import Agreement, AgreementKind, AgreementParty, Institution, Partnership, Person, Unit
from workflow.errors import InvalidInput, NotFound
from workflow.lifecycle import State

# The fields a listing sorts by; every sort is tie-broken by id, so pages are stable.
SORTS: dict[str, Any] = {
    "id": Agreement.id,
    "slug": Agreement.slug,
    "state": Agreement.state,
    "proposed_on": Agreement.proposed_on,
    "signed_on": Agreement.signed_on,
    "expires_on": Agreement.expires_on,
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


def order_by(sort: Sort) -> list[Any]:
    """ORDER BY for a sort: missing dates last going up, first going down (a btree's order)."""
    column, key = SORTS[sort.field], Agreement.id
    if sort.descending:
        return [column.desc().nulls_first(), key.desc()] if sort.field != "id" else [key.desc()]
    return [column.asc().nulls_last(), key.asc()] if sort.field != "id" else [key.asc()]


def _piece(text: str, option: str) -> str:
    wanted = text.strip().casefold()
    if not wanted:
        raise InvalidInput(f"{option} is empty: give a piece of text to look for")
    return wanted


def _contains(column: Any, wanted: str) -> ColumnElement[bool]:
    """Case-insensitive substring match; % and _ in the text match themselves."""
    result: ColumnElement[bool] = func.lower(column).contains(wanted, autoescape=True)
    return result


def text_clause(q: str) -> ColumnElement[bool]:
    """`--q`: the text in the title, slug, a party's name, short name or slug, or the
    coordinator's name."""
    wanted = _piece(q, "--q")
    party = exists().where(
        AgreementParty.agreement_id == Agreement.id,
        Institution.id == AgreementParty.institution_id,
        or_(*(_contains(c, wanted) for c in (Institution.name, Institution.short_name))),
    )
    party_slug = exists().where(
        AgreementParty.agreement_id == Agreement.id,
        Institution.id == AgreementParty.institution_id,
        _contains(Institution.slug, wanted),
    )
    coordinator = exists().where(
        Person.id == Agreement.coordinator_id, _contains(Person.name, wanted)
    )
    return or_(
        _contains(Agreement.title, wanted),
        _contains(Agreement.slug, wanted),
        party,
        party_slug,
        coordinator,
    )


def unit_clause(slug: str) -> ColumnElement[bool]:
    """`--unit`: owned by the unit with this slug (any case)."""
    wanted = _piece(slug, "--unit")
    units = select(Unit.id).where(func.lower(Unit.slug) == wanted)
    return Agreement.owning_unit_id.in_(units)


def coordinator_clause(session: Session, text: str) -> ColumnElement[bool]:
    """`--coordinator`: coordinated by a person whose name or slug holds the text."""
    wanted = _piece(text, "--coordinator")
    ids = session.scalars(
        select(Person.id).where(or_(_contains(Person.name, wanted), _contains(Person.slug, wanted)))
    ).all()
    if not ids:
        raise NotFound(f"no person matching {text!r}: give a piece of a person's name or slug")
    return Agreement.coordinator_id.in_(ids)


def signed_clauses(after: date | None, before: date | None) -> list[ColumnElement[bool]]:
    """`--signed-after/--signed-before`: signed on or after, on or before (inclusive)."""
    if after is not None and before is not None and after > before:
        raise InvalidInput(
            f"--signed-after {after} is later than --signed-before {before}: swap them"
        )
    where: list[ColumnElement[bool]] = []
    if after is not None:
        where.append(Agreement.signed_on >= after)
    if before is not None:
        where.append(Agreement.signed_on <= before)
    return where


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


def segments(sort: Sort, cursor: tuple[Any, int] | None) -> list[ColumnElement[bool] | None]:
    """The rows after the cursor (all, without one) as one or two pieces, read in turn: each
    an index range in the sort's order. A missing date sorts after every date going up, so
    `date >= v AND (date > v OR id > last)` and then `date IS NULL`, instead of one OR that no
    index range answers; going down the missing ones come first."""
    key, column = Agreement.id, SORTS[sort.field]
    nullable = sort.field in _NULLABLE
    if cursor is None:
        return (
            [column.is_not(None), column.is_(None)] if nullable and not sort.descending else [None]
        )
    value, last_id = cursor
    if sort.field == "id":
        return [key < last_id if sort.descending else key > last_id]
    if not sort.descending:
        if value is None:
            return [and_(column.is_(None), key > last_id)]
        rest = [column.is_(None)] if nullable else []
        return [and_(column >= value, or_(column > value, key > last_id)), *rest]
    if value is None:
        return [and_(column.is_(None), key < last_id), column.is_not(None)]
    return [and_(column <= value, or_(column < value, key < last_id))]


def table_rows(
    session: Session, where: list[Any], order: list[Any], chosen: Sort, fetch: int | None
) -> list[dict[str, Any]]:
    """The table's six columns (and the sort's, for the cursor) in one statement."""
    query = (
        select(
            Agreement.id,
            Agreement.slug,
            Agreement.state,
            Agreement.kind,
            func.coalesce(func.nullif(Institution.short_name, ""), Institution.name).label(
                "partner"
            ),
            Agreement.expires_on,
            SORTS[chosen.field].label("sort_key"),
        )
        .join(Partnership, Partnership.id == Agreement.partnership_id)
        .join(Institution, Institution.id == Partnership.partner_id)
        .where(*where)
        .order_by(*order)
        .limit(fetch)
    )
    return [
        {
            "id": row.id,
            "slug": row.slug,
            "state": State(row.state).value,
            "kind": AgreementKind(row.kind).value,
            "partner": row.partner,
            "expires_on": _plain(row.expires_on),
            chosen.field: _plain(row.sort_key),
        }
        for row in session.connection().execute(query)  # Core: no ORM layer for plain rows
    ]


def _plain(value: Any) -> Any:
    """A sort value as the JSON dicts carry it (dates as ISO, states by name)."""
    if isinstance(value, date):
        return value.isoformat()
    return State(value).value if isinstance(value, State) else value

"""Editing an agreement's record: the fields changed, as one entry in its history.

An edit is not a move. It is recorded as an `edit` event (from = to = the current state) at the
next version, its `data` listing each change as {field, before, after}, in the same transaction
as the versioned UPDATE. What the parties signed changes only by a move: once signed, the term,
renewal type and notice period are refused, unless `correction` (the seed's --update) says the
record was wrong. An edit of the approved content (see `content`) fires `revise`: the agreement
goes back to review, and the approval's hash stays as it was until the next `approve`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select

from models import Agreement, AgreementTerm, Person, Unit, table_of
from workflow.agreements import edit_fields, writes_postgres, writes_sqlite
from workflow.agreements.content import SUBSTANTIVE
from workflow.agreements.events import NewEvent
from workflow.agreements.moves import apply_move
from workflow.agreements.subject import load_parties, load_subject_row, stale
from workflow.errors import InvalidInput
from workflow.lifecycle import EDIT, RenewalType, State, Trigger
from workflow.uow import UnitOfWork
from workflow.validation import actor_name, within_horizon

A = table_of(Agreement)
TERMS = table_of(AgreementTerm)
PEOPLE, UNITS = table_of(Person), table_of(Unit)

# What the parties signed: once signed, changed only by a move (or a correction).
SIGNED_TERMS = ("term_months", "renewal_type", "notice_days")
# Approved content changed in these states sends the agreement back to review.
REVISABLE = frozenset({State.APPROVED, State.AWAITING_SIGNATURE})
REVISE_COMMENT = "changed after approval"

_READ = select(
    A.c.id,
    A.c.slug,
    A.c.state,
    A.c.version,
    A.c.term_no,
    A.c.title,
    A.c.coordinator_id,
    A.c.owning_unit_id,
    A.c.notice_days,
    A.c.term_months,
    A.c.renewal_type,
    A.c.review_months,
    A.c.summary,
    A.c.expires_on,
    A.c.renewal_opens_on,
    A.c.assumptions,
)


@dataclass(frozen=True)
class Edit:
    """The fields to set; None leaves a field as it is. An empty coordinator, unit or summary
    clears it."""

    title: str | None = None
    coordinator: str | None = None
    unit: str | None = None
    notice_days: int | None = None
    term_months: int | None = None
    renewal_type: str | None = None
    review_months: int | None = None
    summary: str | None = None
    # The record's notes on what is assumed rather than stated: only a correction (the seed
    # file's --update) sets them, since they describe the seed's sources.
    assumptions: dict[str, Any] | None = None


@dataclass(frozen=True)
class EditResult:
    """What one edit did: its changes (empty: nothing changed, nothing written)."""

    agreement_id: int
    slug: str
    state: str
    version: int
    changes: list[dict[str, Any]]
    event_id: int | None
    revised: bool


# The current term's end date, as a change's field name (it lives in agreement_terms).
TERM_END = "term_expires_on"


def _term_end(uow: UnitOfWork, row: Any) -> date | None:
    if row.term_no == 0:
        return None
    day: date | None = uow.conn.execute(
        select(TERMS.c.expires_on).where(
            TERMS.c.agreement_id == row.id, TERMS.c.number == row.term_no
        )
    ).scalar_one_or_none()
    return day


def _load(uow: UnitOfWork, ref: str | int) -> Any:
    """The agreement's row with the fields an edit reads, found as a move finds it."""
    return uow.conn.execute(_READ.where(A.c.id == load_subject_row(uow, ref).id)).one()


def _slug_of(uow: UnitOfWork, table: Any, record_id: int | None) -> str | None:
    if record_id is None:
        return None
    slug: str = uow.conn.execute(select(table.c.slug).where(table.c.id == record_id)).scalar_one()
    return slug


def _wanted(uow: UnitOfWork, row: Any, edit: Edit) -> dict[str, tuple[Any, Any]]:
    """Each field the edit names, in the order of the command's options: (its value now, the
    value asked for), as the change list records them (slugs for people and units). Bad input
    raises before anything is written."""
    wanted: dict[str, tuple[Any, Any]] = {}
    if edit.title is not None:
        wanted["title"] = (row.title, edit_fields.title(edit.title))
    if edit.coordinator is not None:
        person = edit_fields.record(uow, Person, edit.coordinator)
        before = _slug_of(uow, PEOPLE, row.coordinator_id)
        wanted["coordinator"] = (before, None if person is None else person.slug)
    if edit.unit is not None:
        unit = edit_fields.record(uow, Unit, edit.unit)
        if unit is not None:
            party_ids = {party.id for party, _, _ in load_parties(uow, row.id)}
            if unit.institution_id not in party_ids:
                raise InvalidInput(f"unit {unit.name!r} belongs to neither party")
        before = _slug_of(uow, UNITS, row.owning_unit_id)
        wanted["unit"] = (before, None if unit is None else unit.slug)
    for name in ("notice_days", "term_months", "renewal_type", "review_months"):
        value = getattr(edit, name)
        if value is None:
            continue
        if name == "renewal_type":
            before_type = str(RenewalType(row.renewal_type))
            wanted[name] = (before_type, edit_fields.renewal_type(value))
        else:
            wanted[name] = (getattr(row, name), edit_fields.number(name, value))
    if edit.summary is not None:
        wanted["summary"] = (row.summary, edit_fields.summary(edit.summary))
    if edit.assumptions is not None:
        wanted["assumptions"] = (dict(row.assumptions or {}), dict(edit.assumptions))
    return wanted


# Where each field of the change list is stored.
_COLUMN = {"coordinator": "coordinator_id", "unit": "owning_unit_id"}


def _column_value(uow: UnitOfWork, name: str, value: Any) -> Any:
    if name == "coordinator" and value is not None:
        return uow.conn.execute(select(PEOPLE.c.id).where(PEOPLE.c.slug == value)).scalar_one()
    if name == "unit" and value is not None:
        return uow.conn.execute(select(UNITS.c.id).where(UNITS.c.slug == value)).scalar_one()
    return value


def apply_edit(
    uow: UnitOfWork,
    ref: str | int,
    edit: Edit,
    *,
    actor: str,
    expect_version: int,
    today: date,
    correction: bool = False,
    now: datetime | None = None,
) -> EditResult:
    """Edit one agreement inside `uow` without committing: the caller's transaction owns it."""
    actor = actor_name(actor)
    within_horizon(today, "today")
    if not any(getattr(edit, f.name) is not None for f in fields(edit)):
        raise InvalidInput("nothing to edit: give at least one field (see --help)")
    row = _load(uow, ref)
    if expect_version != row.version:
        raise stale(uow, row.id, row.slug, expect_version)
    wanted = _wanted(uow, row, edit)
    changes = [
        {"field": name, "before": before, "after": after}
        for name, (before, after) in wanted.items()
        if before != after
    ]
    state = str(State(row.state))
    if not changes:
        return EditResult(row.id, row.slug, state, row.version, [], None, False)
    signed = row.term_no > 0
    touched = {c["field"] for c in changes}
    if "assumptions" in touched and not correction:
        raise InvalidInput("the assumptions change only through the seed file (seed --update)")
    if signed and not correction and touched & set(SIGNED_TERMS):
        named = ", ".join(n for n in SIGNED_TERMS if n in touched)
        raise InvalidInput(
            f"{row.slug} is signed: its {named} changed only by a move (renew, give_notice); "
            "nothing was changed"
        )
    after_type = wanted.get("renewal_type", (None, None))[1]
    if after_type == RenewalType.OPEN_ENDED:  # no end: the end dates of a signed term go
        for name in ("expires_on", "renewal_opens_on"):
            day = getattr(row, name)
            if day is not None:
                changes.append({"field": name, "before": day.isoformat(), "after": None})
        term_end = _term_end(uow, row)
        if term_end is not None:  # the signed term's stand-in end date goes with them
            changes.append({"field": TERM_END, "before": term_end.isoformat(), "after": None})
    now = now or datetime.now(UTC)
    values: dict[str, Any] = {
        _COLUMN.get(c["field"], c["field"]): _column_value(uow, c["field"], c["after"])
        for c in changes
        if c["field"] != TERM_END
    }
    values.update(version=row.version + 1, updated_at=now)
    event = NewEvent(
        agreement_id=row.id,
        seq=row.version + 1,
        at=now,
        now=now,
        actor=actor,
        trigger=EDIT,
        from_state=state,
        to_state=state,
        comment="correction" if correction else None,
        data={"changes": changes},
    )
    writes = writes_postgres.write_move if uow.dialect == "postgresql" else writes_sqlite.write_move
    event_id = writes(uow, agreement_id=row.id, version=row.version, values=values, event=event)
    if event_id is None:
        raise stale(uow, row.id, row.slug, row.version)
    if any(c["field"] == TERM_END for c in changes):
        uow.conn.execute(
            TERMS.update()
            .where(TERMS.c.agreement_id == row.id, TERMS.c.number == row.term_no)
            .values(expires_on=None)
        )
    version = row.version + 1
    revised = state in REVISABLE and bool(touched & set(SUBSTANTIVE))
    if revised:
        moved = apply_move(
            uow,
            row.id,
            Trigger.REVISE,
            actor=actor,
            today=today,
            comment=REVISE_COMMENT,
            expect_version=version,
            now=now,
        )
        state, version = moved.to_state, moved.version
    return EditResult(row.id, row.slug, state, version, changes, event_id, revised)


def edit_agreement(uow: UnitOfWork, ref: str | int, edit: Edit, **kwargs: Any) -> EditResult:
    """One edit as a use case: its own transaction, committed only if everything succeeded."""
    with uow:
        result = apply_edit(uow, ref, edit, **kwargs)
        if result.changes:
            uow.commit()
    return result

"""How the agreements already stored differ from the seed file's record of them, and applying
the file's values as one correction per agreement (`accord seed --update`).

Only the record is compared: the title, the terms the file states (term, notice period, renewal
type, review cycle) and the notes on what is assumed. The history is not: what was recorded
stays recorded, and a plain seed never replays an agreement that is there already.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from models import Agreement, table_of
from workflow.agreements.edits import Edit, apply_edit
from workflow.lifecycle import RenewalType
from workflow.seeding.differences import Difference
from workflow.seeding.schema import AgreementEntry, SeedFile
from workflow.uow import UnitOfWork

A = table_of(Agreement)
KIND = "agreements"
# The record's fields the file states; one it leaves out is not a difference.
FIELDS = ("title", "term_months", "notice_days", "renewal_type", "review_months")
# The prefix of an assumption note's field in a difference ("assumptions.term_assumption").
NOTE = "assumptions."


def _stored(value: Any) -> Any:
    return str(value) if isinstance(value, RenewalType) else value


def _notes(entry: AgreementEntry, data: SeedFile) -> dict[str, Any]:
    """The record's assumption notes as seeding writes them: the entry's, and its citation."""
    source = next(s for s in data.sources if s.id == entry.source)
    cited = {"headline": source.headline, "published": source.published.isoformat()}
    return {**entry.assumptions(), "source": cited}


def compare(uow: UnitOfWork, data: SeedFile, slugs: set[str]) -> list[Difference]:
    """The differences between the file's entries for the stored agreements `slugs` and them."""
    rows = {
        r.slug: r
        for r in uow.conn.execute(
            select(A.c.slug, A.c.assumptions, *(A.c[name] for name in FIELDS)).where(
                A.c.slug.in_(sorted(slugs))
            )
        )
    }
    found: list[Difference] = []
    for entry in data.agreements:
        row = rows.get(entry.slug)
        if row is None:
            continue
        for name in FIELDS:
            if name not in entry.model_fields_set:
                continue
            stored, in_file = _stored(getattr(row, name)), _stored(getattr(entry, name))
            if stored != in_file:
                found.append(Difference(KIND, entry.slug, name, stored, in_file))
        notes, wanted = dict(row.assumptions or {}), _notes(entry, data)
        for key in sorted(set(notes) | set(wanted)):
            if key != "source" and notes.get(key) != wanted.get(key):
                found.append(
                    Difference(KIND, entry.slug, NOTE + key, notes.get(key), wanted.get(key))
                )
    return found


def apply(
    uow: UnitOfWork, data: SeedFile, found: list[Difference], *, actor: str, today: date
) -> int:
    """Write the file's values of `found` as one correction per agreement; how many."""
    entries = {e.slug: e for e in data.agreements}
    wanted: dict[str, dict[str, Any]] = {}
    for d in found:
        if d.kind == KIND:
            wanted.setdefault(d.slug, {})[d.field] = d.in_file
    for slug, values in wanted.items():
        record = {k: v for k, v in values.items() if not k.startswith(NOTE)}
        notes = None
        if len(record) < len(values):  # the notes are replaced as a whole, as the file has them
            notes = _notes(entries[slug], data)
        version = uow.conn.execute(select(A.c.version).where(A.c.slug == slug)).scalar_one()
        apply_edit(
            uow,
            slug,
            Edit(**record, assumptions=notes),
            actor=actor,
            expect_version=version,
            today=today,
            correction=True,
        )
    return len(wanted)

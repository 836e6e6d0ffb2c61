"""How the directory rows already stored differ from the seed file, and applying the file's values
as recorded edits (`accord seed --update`); a plain seed never overwrites."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from models import table_of
from workflow.directory import changes
from workflow.uow import UnitOfWork

# The directory's kinds; a field the file leaves out is not a difference (the file cannot say
# "none"), and a slug is how the row was found, not a value of it.
COMPARED = ("institutions", "units", "people", "partnerships")
_SKIPPED = frozenset({"slug", "id"})


@dataclass(frozen=True)
class Difference:
    """One field of one stored entry whose value is not the file's."""

    kind: str
    slug: str
    field: str
    stored: Any
    in_file: Any

    def __str__(self) -> str:
        before, after = changes.as_text(self.stored), changes.as_text(self.in_file)
        return f"{self.kind} {self.slug} {self.field}: {before!r} stored, {after!r} in the file"

    def as_dict(self) -> dict[str, Any]:
        """The difference as plain data (for --json)."""
        return {
            "kind": self.kind,
            "slug": self.slug,
            "field": self.field,
            "stored": changes.as_text(self.stored),
            "in_file": changes.as_text(self.in_file),
        }


def summary(found: list[Difference], updated: int) -> str:
    """The report's sentence on the differences: "; 3 entries differ from the seed file: …"."""
    if not found:
        return ""
    n = len({(d.kind, d.slug) for d in found})
    entries = f"{n} {'entry' if n == 1 else 'entries'}"
    listed = "; ".join(map(str, found))
    if updated:
        return f"; updated {entries} from the seed file: {listed}"
    return (
        f"; {entries} {'differs' if n == 1 else 'differ'} from the seed file: {listed} "
        "(`accord seed --update` applies them as recorded edits)"
    )


def compare(
    uow: UnitOfWork, kind: str, model: Any, wanted: dict[int, dict[str, Any]]
) -> list[Difference]:
    """The differences between stored rows (id -> the file's columns for it) and the database."""
    if kind not in COMPARED or not wanted:
        return []
    t = table_of(model)
    rows = {r.id: r for r in uow.conn.execute(select(t).where(t.c.id.in_(list(wanted))))}
    found = []
    for row_id, columns in wanted.items():
        row = rows[row_id]
        for name, value in columns.items():
            if name in _SKIPPED or value is None or name not in t.c:
                continue
            if getattr(row, name) != value:
                found.append(Difference(kind, row.slug, name, getattr(row, name), value))
    return found


def apply(uow: UnitOfWork, models_of: dict[str, Any], found: list[Difference], actor: str) -> int:
    """Write the file's values of `found` as recorded edits, one version per entry; how many."""
    entries: dict[tuple[str, str], dict[str, Any]] = {}
    for d in found:
        if d.kind in COMPARED:  # the agreements' are applied by agreement_differences
            entries.setdefault((d.kind, d.slug), {})[d.field] = d.in_file
    for (kind, slug), values in entries.items():
        t = table_of(models_of[kind])
        row = uow.conn.execute(select(t).where(t.c.slug == slug)).one()
        changes.apply_edit(
            uow,
            model=models_of[kind],
            row=row,
            label=f"{kind} {slug}",
            values=values,
            expect_version=row.version,
            actor=actor,
        )
    return len(entries)

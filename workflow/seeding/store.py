"""Seeding: store what the seed file holds (reading it is `workflow.seeding.reader`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Engine, func, select, tuple_, update

import models
from workflow.agreements.moves import SignatoryInput, apply_move
from workflow.agreements.proposals import Proposal, propose
from workflow.errors import InvalidInput, MoveRefused, NotFound
from workflow.seeding import agreement_differences, differences
from workflow.seeding.reader import error, load_seed_file
from workflow.seeding.schema import Entry, SeedFile
from workflow.uow import UnitOfWork

__all__ = ["KINDS", "TABLES", "SeedReport", "load_seed_file", "seed"]

# The tables in the order their references need them; agreements follow, through the service.
TABLES: list[tuple[str, Any]] = [
    ("sources", models.Source),
    ("institutions", models.Institution),
    ("units", models.Unit),
    ("people", models.Person),
    ("partnerships", models.Partnership),
    ("initiatives", models.Initiative),
    ("milestones", models.Milestone),
]
KINDS = (*(kind for kind, _ in TABLES), "agreements")
# "1 initiative", not "1 initiatives": the report is read by people.
_ONE = {"people": "person"} | {kind: kind.removesuffix("s") for kind in KINDS if kind != "people"}
# Columns added after a database may have been seeded: a row already there gets the file's value
# where it has none; a value it holds (set by hand since) is kept.
FILLED: dict[str, tuple[str, ...]] = {"institutions": ("time_zone",)}
# The key of the PostgreSQL advisory lock a seed holds for its transaction.
SEED_LOCK = 0x5EED_F11E


# Applying the file. Reference rows are written directly (they have no lifecycle); agreements
# only ever through propose + apply_move, so their state is what the machine made of the history.


@dataclass
class SeedReport:
    """How many entries of each kind were created, filled in, or there already unchanged."""

    created: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    unchanged: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    moves: int = 0
    filled: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    differ: list[differences.Difference] = field(default_factory=list)
    updated: int = 0

    def __str__(self) -> str:
        def counts(numbers: dict[str, int]) -> str:
            said = [f"{n} {_ONE[kind] if n == 1 else kind}" for kind, n in numbers.items() if n]
            return ", ".join(said) or "nothing"

        if not any(self.created.values()) and not any(self.filled.values()) and not self.differ:
            return f"nothing to do: unchanged {counts(self.unchanged)}"
        moves = self.moves
        moves_said = f" ({moves} {'move' if moves == 1 else 'moves'} replayed)" if moves else ""
        said = f"created {counts(self.created)}{moves_said}; unchanged {counts(self.unchanged)}"
        for kind, n in self.filled.items():
            if n:
                what = " and ".join(column.replace("_", " ") for column in FILLED[kind])
                said += f"; filled in the missing {what} of {counts({kind: n})}"
        return said + differences.summary(self.differ, self.updated)

    def as_dict(self) -> dict[str, Any]:
        """The counts as plain data (for --json)."""
        return {
            "created": self.created,
            "unchanged": self.unchanged,
            "moves": self.moves,
            "filled": self.filled,
            "differences": [d.as_dict() for d in self.differ],
            "updated": self.updated,
        }


Ids = dict[str, dict[Any, int]]


def _columns(entry: Entry, ids: Ids) -> dict[str, Any]:
    """An entry as its row: each single reference becomes its `<name>_id` column."""
    refs, row = entry.refs(), {}
    for name in type(entry).model_fields:
        if name in entry.unstored:
            continue
        value = getattr(entry, name)
        if name in refs and not isinstance(value, list):
            row[f"{name}_id"] = None if value is None else ids[refs[name]][value]
        else:
            row["slug" if name == "id" else name] = value  # a source's id is its slug column
    return row


def _key(kind: str, entry: Any, ids: Ids) -> Any:
    """What identifies an entry in the database: its slug, or a milestone's unique triple."""
    if kind == "milestones":
        return (ids["partnerships"][entry.partnership], entry.on, entry.title)
    return entry.id if kind == "sources" else entry.slug


def _stored(
    uow: UnitOfWork, kind: str, model: Any, rows: dict[Any, Any], ids: Ids
) -> dict[Any, int]:
    """key -> id of the rows that exist already."""
    run = uow.session.execute
    if kind == "milestones":
        M = models.Milestone
        found = run(
            select(M.partnership_id, M.on, M.title, M.id).where(
                tuple_(M.partnership_id, M.on, M.title).in_(list(rows))
            )
        )
        return {(p, on, title): row_id for p, on, title, row_id in found}
    found_slugs = run(select(model.slug, model.id).where(model.slug.in_(list(rows))))
    stored: dict[Any, int] = {row[0]: row[1] for row in found_slugs}
    if kind == "partnerships":  # a pair proposed before seeding, under another slug, is the same
        inst = ids["institutions"]
        pairs = {(inst[p.home], inst[p.partner]): slug for slug, p in rows.items()}
        P = models.Partnership
        in_pairs = tuple_(P.home_id, P.partner_id).in_(list(pairs))
        found_pairs = run(select(P.home_id, P.partner_id, P.id).where(in_pairs))
        stored |= {pairs[(home, partner)]: row_id for home, partner, row_id in found_pairs}
    return stored


def _fill(
    uow: UnitOfWork, kind: str, model: Any, rows: dict[Any, Any], stored: dict[Any, int]
) -> int:
    """Give rows already stored the FILLED values they lack; how many rows changed."""
    changed: set[int] = set()
    for column in FILLED.get(kind, ()):
        for key, row_id in stored.items():
            value = getattr(rows[key], column)
            if value is None:
                continue
            empty = getattr(model, column).is_(None)
            statement = update(model).where(model.id == row_id, empty).values({column: value})
            done = uow.session.execute(statement.returning(model.id)).scalar()
            if done is not None:
                changed.add(row_id)
    return len(changed)


def seed(
    engine: Engine, data: SeedFile, *, today: date, actor: str = "seed", update: bool = False
) -> SeedReport:
    """Store what `data` holds and the database lacks, in ONE transaction; existing rows stay,
    their differences from the file reported, and applied as recorded edits when `update`."""
    report, ids = SeedReport(), Ids()
    with UnitOfWork(engine) as uow:
        if uow.dialect == "postgresql":
            # One seed at a time, as BEGIN IMMEDIATE gives on SQLite: two at once would both
            # find the file's rows missing, and the second would fail on their unique keys.
            uow.conn.execute(select(func.pg_advisory_xact_lock(SEED_LOCK)))
        for kind, model in TABLES:
            rows = {_key(kind, entry, ids): entry for entry in getattr(data, kind)}
            ids[kind] = _stored(uow, kind, model, rows, ids)
            known = {i: _columns(rows[key], ids) for key, i in ids[kind].items()}
            fresh = {
                key: model(**_columns(e, ids)) for key, e in rows.items() if key not in ids[kind]
            }
            filled = _fill(uow, kind, model, rows, ids[kind])
            differ = differences.compare(uow, kind, model, known)
            report.differ += differ
            uow.session.add_all(fresh.values())
            uow.session.flush()
            ids[kind] |= {key: row.id for key, row in fresh.items()}
            report.created[kind], report.filled[kind] = len(fresh), filled
            report.unchanged[kind] = len(rows) - len(fresh) - filled - len({d.slug for d in differ})
        slugs = [a.slug for a in data.agreements]
        query = select(models.Agreement.slug).where(models.Agreement.slug.in_(slugs))
        stored = set(uow.session.scalars(query))
        for i, a in enumerate(data.agreements):
            if a.slug not in stored:
                report.moves += _replay(uow, data, i, ids, today, actor)
        differ = agreement_differences.compare(uow, data, stored)
        report.differ += differ
        report.created["agreements"] = len(slugs) - len(stored)
        report.unchanged["agreements"] = len(stored) - len({d.slug for d in differ})
        if update:
            report.updated = differences.apply(uow, dict(TABLES), report.differ, actor)
            report.updated += agreement_differences.apply(
                uow, data, report.differ, actor=actor, today=today
            )
        uow.commit()
    return report


def _replay(uow: UnitOfWork, data: SeedFile, i: int, ids: Ids, today: date, actor: str) -> int:
    """Propose agreement `i` and replay its history through the service; return the moves made."""
    a = data.agreements[i]
    source = next(s for s in data.sources if s.id == a.source)
    cited = {"headline": source.headline, "published": source.published.isoformat()}
    names = {p.slug: p.name for p in data.people}
    try:
        propose(
            uow,
            Proposal(
                home=a.parties[0],
                partner=a.parties[1],
                kind=a.kind,
                title=a.title,
                proposed_on=a.proposed_on,
                actor=actor,
                today=today,
                unit=a.unit,
                coordinator=a.coordinator,
                term_months=a.term_months,
                notice_days=a.notice_days,
                renewal_window_days=a.renewal_window_days,
                renewal_type=a.renewal_type,
                review_months=a.review_months,
                slug=a.slug,
                source_id=ids["sources"][a.source],
                initiative_id=ids["initiatives"].get(a.initiative or ""),
                assumptions={**a.assumptions(), "source": cited},
            ),
        )
    except (InvalidInput, NotFound) as exc:
        raise error(data, ("agreements", i, "proposed_on"), str(exc)) from None
    for j, step in enumerate(a.history):
        notes = {"assumption": step.assumption, "until_assumption": step.until_assumption}
        signatories = {
            s.party: SignatoryInput(
                s.name or names[s.person or ""], ids["people"].get(s.person or ""), s.assumption
            )
            for s in step.signatories
        }
        try:
            apply_move(
                uow,
                a.slug,
                step.trigger,
                actor=actor,
                today=today,
                on=step.on,
                comment=step.comment,
                until=step.until,
                signatories=signatories,
                data={"source": cited} | {k: v for k, v in notes.items() if v},
            )
        except MoveRefused as exc:
            raise error(data, ("agreements", i, "history", j, "trigger"), str(exc)) from None
        except (InvalidInput, NotFound) as exc:
            raise error(data, ("agreements", i, "history", j, "on"), str(exc)) from None
    return len(a.history)

"""Rules across seed entries: pydantic judges one entry at a time; these need the whole file."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from workflow import lifecycle
from workflow.lifecycle import Trigger
from workflow.seeding.fields import Loc, Problem
from workflow.seeding.schema import Entry, HistoryEntry, SeedFile

SIGNING = (Trigger.SIGN, Trigger.RENEW)


def _references(entry: Entry, at: Loc) -> Iterator[tuple[Loc, str, str]]:
    """(where, kind, slug) for every reference in `entry` and in the entries nested in it."""
    refs = entry.refs()
    for name in type(entry).model_fields:
        value = getattr(entry, name)
        for k, item in enumerate(value) if isinstance(value, list) else [(-1, value)]:
            here = (*at, name) if k < 0 else (*at, name, k)
            if isinstance(item, Entry):
                yield from _references(item, here)
            elif name in refs and item is not None:
                yield here, refs[name], item


def cross_check(f: SeedFile) -> list[Problem]:
    """Unique slugs, references that exist, parties that match, histories in date order."""
    known: dict[str, dict[str, Any]] = {}
    out: list[Problem] = []
    for kind in ("sources", "institutions", "units", "people", "partnerships", "initiatives"):
        known[kind] = {}
        for i, entry in enumerate(getattr(f, kind)):
            key = entry.id if kind == "sources" else entry.slug
            if key in known[kind]:
                out.append(((kind, i, "id" if kind == "sources" else "slug"), "used twice"))
            known[kind][key] = entry
    for kind in (*known, "milestones", "agreements"):
        for i, entry in enumerate(getattr(f, kind)):
            for here, target, slug in _references(entry, (kind, i)):
                if slug not in known[target]:
                    out.append((here, f"no {target} entry has the id {slug!r}"))
    if out:
        return out
    unit_of = {slug: u.institution for slug, u in known["units"].items()}
    for i, p in enumerate(f.people):
        if p.unit and unit_of[p.unit] != p.institution:
            out.append((("people", i, "unit"), f"{p.unit!r} is not a unit of {p.institution!r}"))
    for i, pair in enumerate(f.partnerships):
        for side, institution in (("home_contact", pair.home), ("partner_contact", pair.partner)):
            person = getattr(pair, side)
            if person and known["people"][person].institution != institution:
                out.append((("partnerships", i, side), f"{person!r} is not at {institution!r}"))
    for i, a in enumerate(f.agreements):
        at: Loc = ("agreements", i)
        pair = known["partnerships"][a.partnership]
        if a.parties != [pair.home, pair.partner]:
            out.append(((*at, "parties"), f"must be {a.partnership!r}'s home and partner"))
        if a.unit and unit_of[a.unit] not in a.parties:
            out.append(((*at, "unit"), f"{a.unit!r} belongs to neither party"))
        if a.renewal_type == lifecycle.RenewalType.OPEN_ENDED and a.term_months is not None:
            out.append(((*at, "term_months"), "an open-ended agreement has no term: leave it out"))
        if a.review_months is not None and a.renewal_type != lifecycle.RenewalType.OPEN_ENDED:
            out.append(((*at, "review_months"), "only an open-ended agreement has reviews"))
        goal = known["initiatives"].get(a.initiative or "")
        if goal and goal.agreement_kind != a.kind:
            out.append(((*at, "kind"), f"initiative {goal.slug!r} counts {goal.agreement_kind}"))
        previous = a.proposed_on
        for j, step in enumerate(a.history):
            out += _check_step((*at, "history", j), step, previous, a.parties, known["people"])
            previous = step.on
    return out


def _check_step(
    at: Loc, step: HistoryEntry, previous: date, parties: list[str], people: dict[str, Any]
) -> list[Problem]:
    out: list[Problem] = []
    if step.on < previous:
        out.append(((*at, "on"), f"{step.on} is before the step or proposal before it"))
    if step.trigger not in SIGNING and (step.signatories or step.until):
        out.append(((*at, "trigger"), "only sign and renew take `until` and `signatories`"))
    for k, s in enumerate(step.signatories):
        where, named = (*at, "signatories", k), [x.party for x in step.signatories[:k]]
        if s.party not in parties:
            out.append((where, f"{s.party!r} is not a party (parties: {', '.join(parties)})"))
        elif s.party in named:
            out.append((where, f"a second signatory for {s.party!r}"))
        elif s.person and people[s.person].institution != s.party:
            out.append((where, f"{s.person!r} is not at {s.party!r}"))
        elif not (s.person or s.name):
            out.append((where, "give the signatory's person (slug) or name"))
    return out


def dry_run(f: SeedFile) -> list[Problem]:
    """Fire every history through the lifecycle machine, as seeding will, without a database."""
    out: list[Problem] = []
    for i, a in enumerate(f.agreements):
        parties = [lifecycle.Party(n, slug) for n, slug in enumerate(a.parties)]
        subject = lifecycle.Subject(
            lifecycle.INITIAL,
            parties,
            proposed_on=a.proposed_on,
            term_months=a.term_months,
            renewal_type=a.renewal_type,
            notice_days=a.notice_days,
        )
        for j, step in enumerate(a.history):
            named = {s.party: s.person or s.name or "" for s in step.signatories}
            move = lifecycle.Move(
                step.trigger,
                today=step.on,  # whether a date lies in the future is judged when seeding
                on=step.on,
                comment=step.comment,
                until=step.until,
                signatories={p.id: named.get(p.name, "") for p in parties},
            )
            try:
                lifecycle.fire(subject, move)
            except lifecycle.IllegalMove as exc:
                out.append((("agreements", i, "history", j, "trigger"), str(exc)))
                break
            if step.trigger in SIGNING:  # what apply_move records for a new term
                subject.expires_on = lifecycle.term_end(subject, move)
                subject.signed_on, subject.term_no = step.on, subject.term_no + 1
    return out

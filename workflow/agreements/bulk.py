"""Bulk moves: one trigger on many agreements, each judged and moved in its own transaction.

A refused agreement neither stops nor rolls back the others; the caller gets one result per
agreement. A dry run judges each one with the machine on a snapshot and writes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Engine

from workflow import lifecycle
from workflow.agreements import moves, queries
from workflow.agreements.subject import load_parties, load_subject_row, subject_of
from workflow.errors import AccordError, InvalidInput, NotFound
from workflow.lifecycle import Move, Trigger
from workflow.uow import UnitOfWork
from workflow.validation import actor_name, free_text, within_horizon

MOVED, REFUSED = "moved", "refused"
WOULD_MOVE, WOULD_BE_REFUSED = "would move", "would be refused"
FILTERS = (
    "--state, --kind, --partner, --expiring-within, --q, --unit, --coordinator,"
    " --signed-after/--signed-before, --renewal-type"
)


@dataclass(frozen=True)
class ItemResult:
    """One agreement's outcome: its state before, after (None when refused) and its version."""

    slug: str
    id: int
    outcome: str
    from_state: str
    to_state: str | None
    version: int
    reason: str | None


def check_trigger(trigger: str) -> str:
    """The trigger stripped, or an error listing the triggers there are."""
    wanted = trigger.strip()
    if wanted not in {t.value for t in Trigger}:
        names = ", ".join(t.value for t in Trigger)
        raise InvalidInput(f"unknown trigger {trigger!r}; triggers: {names}")
    return wanted


def check_choice(refs: Sequence[str], today_given: bool) -> None:
    """A day to judge by belongs to the list filters: with REFs it is refused."""
    if refs and today_given:
        raise InvalidInput("--today applies to the list filters (--expiring-within), not to --ref")


def choose(
    engine: Engine, *, refs: Sequence[str], filters: Mapping[str, Any], today: date
) -> list[int]:
    """The agreements to move, by REF (id or slug, in the order given) or by the list filters.

    `filters` holds only the filters given; both or neither kind of choice is refused, and so
    is a REF that names no agreement or filters that match none: nothing is moved then.
    """
    if refs and filters:
        raise InvalidInput(f"give --ref REF or the list filters ({FILTERS}), not both")
    if not refs and not filters:
        raise InvalidInput(f"say which agreements: --ref REF (repeatable) or filters ({FILTERS})")
    with UnitOfWork(engine) as uow:  # read only: rolled back on leaving
        if not refs:
            ids = queries.filtered_ids(uow.session, today=today, **filters)
            if not ids:
                raise NotFound(
                    "no agreements match these filters, so nothing was moved: "
                    "see `accord agreements list` with the same filters"
                )
            return ids
        chosen: list[int] = []
        for ref in refs:
            agreement_id = int(load_subject_row(uow, ref).id)
            if agreement_id not in chosen:  # the same agreement named twice moves once
                chosen.append(agreement_id)
        return chosen


def advance_many(
    engine: Engine,
    ids: Sequence[int],
    trigger: str,
    *,
    actor: str,
    today: date,
    on: date | None = None,
    comment: str | None = None,
    dry_run: bool = False,
) -> list[ItemResult]:
    """Fire `trigger` on each agreement in its own transaction (or only judge it: `dry_run`)."""
    trigger, actor = check_trigger(trigger), actor_name(actor)
    # What is the same for every agreement is checked once, before any of them moves.
    if comment is not None:
        free_text(comment, "the comment")
    within_horizon(today, "today")
    if on is not None and within_horizon(on, "the date (--on)") > today:
        raise InvalidInput(f"the date {on.isoformat()} is in the future (today is {today})")
    move = Move(trigger=trigger, today=today, on=on, comment=comment)
    if dry_run:
        return [_judge(engine, agreement_id, move) for agreement_id in ids]
    return [_move(engine, agreement_id, move, actor) for agreement_id in ids]


def _move(engine: Engine, agreement_id: int, move: Move, actor: str) -> ItemResult:
    try:
        done = moves.advance(
            UnitOfWork(engine),
            agreement_id,
            move.trigger,
            actor=actor,
            today=move.today,
            on=move.on,
            comment=move.comment,
        )
    except AccordError as exc:  # refused, invalid for this one, or moved by someone else first
        with UnitOfWork(engine) as uow:
            now = load_subject_row(uow, agreement_id)
        return ItemResult(now.slug, now.id, REFUSED, str(now.state), None, now.version, str(exc))
    return ItemResult(
        done.slug, done.agreement_id, MOVED, done.from_state, done.to_state, done.version, None
    )


def _judge(engine: Engine, agreement_id: int, move: Move) -> ItemResult:
    with UnitOfWork(engine) as uow:  # read only: rolled back on leaving
        row = load_subject_row(uow, agreement_id)
        signing = move.trigger in (Trigger.SIGN, Trigger.RENEW)
        parties = [party for party, _, _ in load_parties(uow, row.id)] if signing else []
        try:
            # The snapshot is fired, not the row: the refusal reads as the real move's would.
            to_state = lifecycle.fire(subject_of(row, parties), move)
            if move.on is not None:
                moves.not_before_last_move(uow, row.id, move.on)
        except (lifecycle.IllegalMove, InvalidInput) as exc:
            state, version = str(row.state), row.version
            return ItemResult(row.slug, row.id, WOULD_BE_REFUSED, state, None, version, str(exc))
    return ItemResult(row.slug, row.id, WOULD_MOVE, str(row.state), to_state, row.version + 1, None)

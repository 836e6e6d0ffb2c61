"""Read-only views for the ops commands: pending notifications, counts by status, meetings."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select

from models import Agreement, DeadLetter, Meeting, Notification, Partnership, table_of
from workflow.notices.reminder_rules import in_words
from workflow.uow import UnitOfWork

N = table_of(Notification)
A = table_of(Agreement)
M = table_of(Meeting)
P = table_of(Partnership)
D = table_of(DeadLetter)
# missed: a renewal reminder past its day by more than ACCORD_REMINDER_CATCHUP_DAYS, never sent.
STATUSES = ("pending", "sent", "cancelled", "missed", "dead")


@dataclass(frozen=True)
class PendingView:
    """One notification (pending, unless asked for all) as ops see it."""

    id: int
    kind: str
    subject: str  # the agreement's slug, or the meeting's partnership and start
    agreement: str | None
    meeting_id: int | None
    due_on: date
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    status: str = "pending"
    # A reminder in words: what it is about ("30 days before the end date 2027-06-30").
    about: str | None = None


@dataclass(frozen=True)
class MeetingView:
    """One partnership meeting as `accord meetings list` shows it."""

    id: int
    partnership: str
    title: str
    starts_at: datetime
    duration_minutes: int
    location: str | None
    status: str
    sequence: int
    uid: str


def _zulu(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%MZ")


def _subject(row: Any) -> str:
    if row.slug is not None:
        return str(row.slug)
    if row.partnership is not None:
        return f"{row.partnership} meeting {_zulu(row.starts_at)}"
    return "-"


def _with_subjects() -> Any:
    return (
        select(
            N.c.id,
            N.c.kind,
            N.c.dedupe_key,
            N.c.meeting_id,
            N.c.due_on,
            N.c.attempts,
            N.c.next_attempt_at,
            N.c.last_error,
            N.c.status,
            A.c.slug,
            M.c.starts_at,
            P.c.slug.label("partnership"),
        )
        .select_from(N)
        .outerjoin(A, A.c.id == N.c.agreement_id)
        .outerjoin(M, M.c.id == N.c.meeting_id)
        .outerjoin(P, P.c.id == M.c.partnership_id)
    )


def _view(row: Any) -> PendingView:
    return PendingView(
        row.id,
        row.kind,
        _subject(row),
        row.slug,
        row.meeting_id,
        row.due_on,
        row.attempts,
        row.next_attempt_at,
        row.last_error,
        row.status,
        in_words(row.kind, row.dedupe_key),
    )


def pending_due(uow: UnitOfWork, today: date, *, every_status: bool = False) -> list[PendingView]:
    """Pending notifications due on or before `today` (with `every_status`, also those sent,
    cancelled, missed or dead), oldest due first; changes nothing."""
    query = _with_subjects().where(N.c.due_on <= today)
    if not every_status:
        query = query.where(N.c.status == "pending")
    query = query.order_by(N.c.due_on, N.c.id)
    return [_view(row) for row in uow.conn.execute(query).all()]


def for_agreement(uow: UnitOfWork, agreement_id: int) -> list[PendingView]:
    """Every notification of one agreement, any status and due day, oldest due first: its
    delivery log (sent, pending, retrying, cancelled, missed or dead)."""
    query = _with_subjects().where(N.c.agreement_id == agreement_id)
    return [_view(row) for row in uow.conn.execute(query.order_by(N.c.due_on, N.c.id)).all()]


def pending_json(view: PendingView) -> dict[str, Any]:
    """A notification as `accord reminders due --json` prints it."""
    at = view.next_attempt_at
    return {
        "id": view.id,
        "kind": view.kind,
        "subject": view.subject,
        "agreement": view.agreement,
        "meeting_id": view.meeting_id,
        "due_on": view.due_on.isoformat(),
        "attempts": view.attempts,
        "next_attempt_at": None if at is None else at.isoformat(timespec="seconds"),
        "last_error": view.last_error,
        "status": view.status,
        "about": view.about,
    }


def describe(uow: UnitOfWork, ids: Iterable[int]) -> dict[int, PendingView]:
    """The notifications `ids` (any status), keyed by id."""
    wanted = list(ids)
    if not wanted:
        return {}
    rows = uow.conn.execute(_with_subjects().where(N.c.id.in_(wanted))).all()
    return {row.id: _view(row) for row in rows}


@dataclass(frozen=True)
class NotificationCounts:
    """Notifications by status, how many pending ones are due, and unreplayed dead letters."""

    by_status: dict[str, int]
    due: int
    dead_letters: int


def counts(uow: UnitOfWork, today: date) -> NotificationCounts:
    """Counts for `accord outbox status`."""
    rows = uow.conn.execute(select(N.c.status, func.count()).group_by(N.c.status)).all()
    found: dict[str, int] = {str(status): int(n) for status, n in rows}
    by_status = {status: found.pop(status, 0) for status in STATUSES}
    by_status |= found  # any status added later
    due = uow.conn.execute(
        select(func.count()).where(N.c.status == "pending", N.c.due_on <= today)
    ).scalar_one()
    dead = uow.conn.execute(
        select(func.count()).select_from(D).where(D.c.replayed_at.is_(None))
    ).scalar_one()
    return NotificationCounts(by_status, int(due), int(dead))


def list_meetings(uow: UnitOfWork, *, meeting_id: int | None = None) -> list[MeetingView]:
    """Every meeting (or the one `meeting_id`), soonest first."""
    query = (
        select(
            M.c.id,
            P.c.slug,
            M.c.title,
            M.c.starts_at,
            M.c.duration_minutes,
            M.c.location,
            M.c.status,
            M.c.sequence,
            M.c.uid,
        )
        .join(P, P.c.id == M.c.partnership_id)
        .order_by(M.c.starts_at, M.c.id)
    )
    if meeting_id is not None:
        query = query.where(M.c.id == meeting_id)
    return [MeetingView(*row) for row in uow.conn.execute(query).all()]

"""An automatic renewal group's writes on PostgreSQL: one statement whatever its size."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import JSONB

from models import Agreement, table_of
from workflow.agreements.tick_writes import SYSTEM, TickReport
from workflow.lifecycle import Trigger
from workflow.uow import UnitOfWork

A = table_of(Agreement)
# The assumption on a signatory carried into an automatically renewed term: nobody signed again.
CARRIED = "renewed automatically"


@dataclass(frozen=True)
class Renewal:
    """The dates of the term an automatic renewal starts."""

    signed_on: date
    effective_on: date
    expires_on: date
    renewal_opens_on: date


def renewal_event_data(today: date, renewal: Renewal) -> dict[str, Any]:
    """What the renew event records: the tick's day, and the new term's dates."""
    return {
        "tick": today.isoformat(),
        "automatic": True,
        "effective": renewal.effective_on.isoformat(),
        "until": renewal.expires_on.isoformat(),
    }


# PostgreSQL: one statement per group, its members passed as one json parameter: the versioned
# UPDATE of state and term dates, the events from the rows it returned, the terms from the
# events, the signatories copied from each previous term.
_RENEW_GROUP = text(
    """
WITH due AS (
    SELECT * FROM jsonb_to_recordset(:members) AS due (
        id integer, version integer, at timestamptz, signed_on date, effective_on date,
        expires_on date, renewal_opens_on date, data jsonb)
), moved AS (
    UPDATE agreements SET state = :dest, version = agreements.version + 1, updated_at = :now,
        term_no = agreements.term_no + 1, signed_on = due.signed_on,
        effective_on = due.effective_on, expires_on = due.expires_on,
        renewal_opens_on = due.renewal_opens_on
    FROM due
    WHERE agreements.id = due.id AND agreements.version = due.version
      AND agreements.state = :source
    RETURNING agreements.id, agreements.version, agreements.term_no, due.at, due.data,
              due.signed_on, due.effective_on, due.expires_on
), event AS (
    INSERT INTO agreement_events (agreement_id, seq, at, recorded_at, actor, trigger,
                                  from_state, to_state, comment, data)
    SELECT id, version, at, :now, :actor, :trigger, :source, :dest, NULL, data
    FROM moved ORDER BY id
    RETURNING id, agreement_id
), term AS (
    INSERT INTO agreement_terms (agreement_id, number, signed_on, effective_on, expires_on,
                                 event_id)
    SELECT moved.id, moved.term_no, moved.signed_on, moved.effective_on, moved.expires_on,
           event.id
    FROM moved JOIN event ON event.agreement_id = moved.id
    ORDER BY moved.id
    RETURNING id, agreement_id, number
), carried AS (
    INSERT INTO signatories (term_id, institution_id, name, person_id, assumption)
    SELECT term.id, s.institution_id, s.name, s.person_id, :assumption
    FROM term
    JOIN agreement_terms AS previous
      ON previous.agreement_id = term.agreement_id AND previous.number = term.number - 1
    JOIN signatories AS s ON s.term_id = previous.id
    ORDER BY term.id, s.id
)
SELECT id, agreement_id FROM event ORDER BY agreement_id
"""
).bindparams(
    bindparam("members", type_=JSONB),
    bindparam("now", type_=A.c.updated_at.type),
)


def renew(
    uow: UnitOfWork,
    source: str,
    dest: str,
    members: list[tuple[Any, datetime]],
    renewals: dict[int, Renewal],
    now: datetime,
    report: TickReport,
) -> list[tuple[int, int]]:
    """(event id, agreement id) of each member renewed, written by one statement."""
    rows = []
    for row, when in members:
        renewal = renewals[row.id]
        rows.append(
            {
                "id": row.id,
                "version": row.version,
                "at": when.isoformat(),
                "signed_on": renewal.signed_on.isoformat(),
                "effective_on": renewal.effective_on.isoformat(),
                "expires_on": renewal.expires_on.isoformat(),
                "renewal_opens_on": renewal.renewal_opens_on.isoformat(),
                "data": renewal_event_data(report.today, renewal),
            }
        )
    found = uow.conn.execute(
        _RENEW_GROUP,
        {
            "members": rows,
            "now": now,
            "source": source,
            "dest": dest,
            "actor": SYSTEM,
            "trigger": Trigger.RENEW.value,
            "assumption": CARRIED,
        },
    ).all()
    return [(event_id, agreement_id) for event_id, agreement_id in found]

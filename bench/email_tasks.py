"""A task only `bench.email_rate`'s worker loads (`celery worker --include bench.email_tasks`).

`accord.bench.send_only` renders and sends the same renewal reminder as `accord.send_notification`,
on the same kept SMTP connection, but without the database: no row to lock, nothing re-read,
nothing marked sent. The facts come with the task, read once by the benchmark through the real
loader. It says how much of an e-mail's cost is the mail itself and how much the bookkeeping that
makes delivery exactly-once-or-retried.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from tasks.app import app
from tasks.delivering import compose
from tasks.jobs import mailer, settings
from workflow.notices.context import AgreementInfo, Delivery

SEND_ONLY = "accord.bench.send_only"


def facts_of(d: Delivery) -> dict[str, Any]:
    """What `send_only` needs of a loaded reminder, as JSON."""
    a = d.agreement
    assert a is not None
    assert a.expires_on is not None
    return {
        "agreement": {
            "id": a.id, "slug": a.slug, "title": a.title, "kind": a.kind, "state": a.state,
            "parties": a.parties, "party_keys": a.party_keys,
            "expires_on": a.expires_on.isoformat(), "term_no": a.term_no,
        },
        "recipients": d.recipients,
    }  # fmt: skip


@app.task(name=SEND_ONLY)
def send_only(number: int, facts: dict[str, Any]) -> int:
    """Render and send reminder number `number` from `facts`; touches no database."""
    now = datetime.now(UTC)
    a = facts["agreement"]
    agreement = AgreementInfo(
        id=a["id"], slug=a["slug"], title=a["title"], kind=a["kind"], state=a["state"],
        parties=a["parties"], party_keys=a["party_keys"],
        expires_on=date.fromisoformat(a["expires_on"]), signed_on=None, term_no=a["term_no"],
    )  # fmt: skip
    delivery = Delivery(
        notification_id=number,
        kind="renewal_reminder",
        dedupe_key=f"bench-send-only:{number}",  # its own Message-ID, distinct from the rows'
        recipients=facts["recipients"],
        today=now.date(),
        agreement=agreement,
    )
    mailer().send(compose(delivery, settings(), now))
    return number

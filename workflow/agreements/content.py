"""What an approval binds to: the agreement's substantive content, and its one hash.

`approve` stores `content_hash` of the agreement as it was approved (`approved_hash`); `show`
compares it with the hash of the content now. Editing any of these fields after approval
sends the agreement back to review (see `edits`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from models import Agreement, AgreementParty, table_of
from workflow.uow import UnitOfWork

A = table_of(Agreement)
P = table_of(AgreementParty)

# The agreement's own fields an approval covers, besides its parties (in order) and kind.
SUBSTANTIVE = ("title", "term_months", "renewal_type", "review_months", "notice_days")


def canonical(
    *,
    parties: Sequence[int],
    kind: str,
    title: str,
    term_months: int | None,
    renewal_type: str,
    review_months: int | None,
    notice_days: int | None,
) -> str:
    """The content as canonical JSON: sorted keys, no spaces, UTF-8 text as it is.

    Parties are institution ids in signing order: renaming an institution (or changing its
    slug) in the directory does not change what was agreed.
    """
    content: dict[str, Any] = {
        "parties": [int(p) for p in parties],
        "kind": str(kind),
        "title": title,
        "term_months": term_months,
        "renewal_type": str(renewal_type),
        "review_months": review_months,
        "notice_days": notice_days,
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(**content: Any) -> str:
    """SHA-256 (hex) of `canonical(**content)`."""
    return hashlib.sha256(canonical(**content).encode("utf-8")).hexdigest()


def plain(value: Any) -> str:
    """An enum member's value, or the string as it is."""
    return str(getattr(value, "value", value))


def hash_of_agreement(agreement: Agreement) -> str:
    """The content hash of a loaded agreement (its parties loaded, in position order)."""
    return content_hash(
        parties=[p.institution_id for p in agreement.parties],
        kind=plain(agreement.kind),
        title=agreement.title,
        term_months=agreement.term_months,
        renewal_type=plain(agreement.renewal_type),
        review_months=agreement.review_months,
        notice_days=agreement.notice_days,
    )


def hash_in_database(uow: UnitOfWork, agreement_id: int) -> str:
    """The content hash of an agreement as its rows stand inside `uow`."""
    row = uow.conn.execute(
        select(A.c.kind, *(A.c[name] for name in SUBSTANTIVE)).where(A.c.id == agreement_id)
    ).one()
    parties = uow.conn.execute(
        select(P.c.institution_id).where(P.c.agreement_id == agreement_id).order_by(P.c.position)
    ).scalars()
    return content_hash(
        parties=list(parties),
        kind=plain(row.kind),
        title=row.title,
        term_months=row.term_months,
        renewal_type=plain(row.renewal_type),
        review_months=row.review_months,
        notice_days=row.notice_days,
    )

"""A database seeded before renewal types existed is carried forward without loss: the
migrations keep its rows, `seed` reports how its USTB agreements differ from the file, and
`seed --update` turns them open-ended as recorded corrections, the stand-in 2079 end dropped."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select, text

from models import Notification, make_engine
from tests.integration.test_cli import ok, run_cli
from tests.integration.test_cli_db import blank_url as blank_url
from tests.integration.test_cli_db import failed
from workflow.agreements.tick import run_tick
from workflow.notices.reminders import materialize_due
from workflow.uow import UnitOfWork

SEED = Path(__file__).resolve().parents[2] / "data" / "seed.toml"
OPEN_ENDED = ("ustb-rwth-1979", "ustb-tata-steel-2014")
OLD_TERM_NOTE = (
    "No term is stated; term_months left unset and the signing given a far-future end date "
    "instead (see until_assumption)."
)
OFFSETS = [180, 90, 30, 7]


def file_before_renewal_types(tmp_path: Path) -> Path:
    """The seed file as it was before renewal types: the USTB agreements had no type (fixed)
    and a far-future end date standing in for "open-ended"."""
    blocks = re.split(r"(?m)^(?=\[\[agreements\]\])", SEED.read_text(encoding="utf-8"))
    out = []
    for block in blocks:
        if any(f'slug = "{slug}"' in block for slug in OPEN_ENDED):
            block = re.sub(r"(?m)^renewal_type(_assumption)? = .*\n", "", block)
            block = re.sub(
                r"(?m)^term_assumption = .*$", f'term_assumption = "{OLD_TERM_NOTE}"', block
            )
            block = re.sub(
                r'(?m)^(  trigger = "sign"\n(?:  (?!signatories).*\n)*)',
                r"\g<1>  until = 2079-01-01\n",
                block,
            )
            assert "until = 2079-01-01" in block
            assert "renewal_type" not in block
        out.append(block)
    path = tmp_path / "seed-2026-11.toml"
    path.write_text("".join(out), encoding="utf-8")
    return path


def record(url: str) -> dict[str, Any]:
    """What must survive the migrations: every agreement's state, version, end date and terms."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT a.slug, a.state, a.version, a.expires_on, t.number, t.expires_on"
                    " FROM agreements a LEFT JOIN agreement_terms t ON t.agreement_id = a.id"
                    " ORDER BY a.slug, t.number"
                )
            ).all()
            events = conn.execute(text("SELECT count(*) FROM agreement_events")).scalar()
    finally:
        engine.dispose()
    return {"rows": [tuple(map(str, r)) for r in rows], "events": events}


def test_an_old_database_is_carried_forward_and_updated_from_the_seed_file(
    blank_url: str, tmp_path: Path
) -> None:
    old = file_before_renewal_types(tmp_path)
    ok(blank_url, "db upgrade")
    ok(blank_url, f"seed --file {old} --today 2026-11-22")
    for slug in OPEN_ENDED:
        shown = ok(blank_url, f"agreements show {slug} --json").json()
        assert (shown["renewal_type"], shown["expires_on"]) == ("fixed", "2079-01-01")

    # Down past renewal types and back up: nothing of the record is lost.
    before = record(blank_url)
    ok(blank_url, "db downgrade 0008 --yes")
    ok(blank_url, "db upgrade")
    assert record(blank_url) == before

    engine = make_engine(blank_url)
    try:
        # The old record plans renewal reminders for the stand-in end (in 2078).
        with UnitOfWork(engine) as uow:
            materialize_due(uow, date(2078, 12, 31), default_offsets=OFFSETS, catchup_days=400)
            uow.commit()
        with engine.connect() as conn:
            ids: dict[str, int] = dict(conn.execute(text("SELECT slug, id FROM agreements")).all())
        with UnitOfWork(engine) as uow:
            planned = uow.session.execute(
                select(Notification.agreement_id, Notification.status).where(
                    Notification.kind == "renewal_reminder",
                    Notification.agreement_id.in_([ids[s] for s in OPEN_ENDED]),
                )
            ).all()
        assert planned
        assert {status for _, status in planned} == {"pending"}

        # A plain seed reports the differences and changes nothing.
        said = ok(blank_url, "seed --json").json()
        differing = {(d["slug"], d["field"]) for d in said["differences"]}
        assert {(s, "renewal_type") for s in OPEN_ENDED} <= differing
        assert {(s, "assumptions.term_assumption") for s in OPEN_ENDED} <= differing
        assert {(s, "assumptions.renewal_type_assumption") for s in OPEN_ENDED} <= differing
        assert {slug for slug, _ in differing} == set(OPEN_ENDED)
        assert record(blank_url) == before

        # --update applies them as one recorded correction per agreement.
        updated = ok(blank_url, "seed --update --json").json()
        assert updated["updated"] == 2
        for slug in OPEN_ENDED:
            shown = ok(blank_url, f"agreements show {slug} --json").json()
            assert (shown["renewal_type"], shown["expires_on"], shown["renewal_opens_on"]) == (
                "open_ended",
                None,
                None,
            )
            assert [t["expires_on"] for t in shown["terms"]] == [None]
            assert "open-ended" in shown["assumptions"]["renewal_type_assumption"]
            assert shown["assumptions"]["term_assumption"] != OLD_TERM_NOTE
            last = ok(blank_url, f"agreements history {slug} --json").json()[-1]
            assert (last["trigger"], last["actor"], last["comment"]) == (
                "edit",
                "seed",
                "correction",
            )
            changed = {c["field"]: c for c in last["changes"]}
            assert changed["expires_on"]["before"] == "2079-01-01"
            assert changed["expires_on"]["after"] is None
            assert changed["renewal_type"]["after"] == "open_ended"
            # The text history names each assumption note that changed, not the whole set.
            printed = ok(blank_url, f"agreements history {slug}").out
            assert f"edited assumptions.term_assumption: {OLD_TERM_NOTE} → No term" in printed
            assert "edited assumptions.proposed_assumption" not in printed
        # The history before the correction is as it was: one more event per agreement.
        assert record(blank_url)["events"] == before["events"] + 2
        again = ok(blank_url, "seed --json").json()
        assert again["differences"] == []

        # The correction's event re-plans: the 2078 reminders are withdrawn, a review is due.
        ok(blank_url, "reminders run --today 2026-11-22")
        with UnitOfWork(engine) as uow:
            left = uow.session.execute(
                select(Notification.status).where(
                    Notification.kind == "renewal_reminder",
                    Notification.agreement_id.in_([ids[s] for s in OPEN_ENDED]),
                    Notification.status == "pending",
                )
            ).all()
        assert left == []
        for slug in OPEN_ENDED:
            assert ok(blank_url, f"agreements show {slug} --json").json()["review_due_on"]
        # And no tick expires them, even past the old stand-in end.
        assert run_tick(UnitOfWork(engine), date(2079, 1, 2)).refused == []
        states = {ok(blank_url, f"agreements show {s} --json").json()["state"] for s in OPEN_ENDED}
        assert states == {"active"}
    finally:
        engine.dispose()


def test_an_unknown_renewal_type_in_the_file_names_its_line_and_changes_nothing(
    blank_url: str, tmp_path: Path
) -> None:
    old = file_before_renewal_types(tmp_path)
    ok(blank_url, "db upgrade")
    ok(blank_url, f"seed --file {old} --today 2026-11-22")
    before = record(blank_url)
    # A file whose USTB entry asks for a renewal type that does not exist is refused whole,
    # before anything is written.
    broken = tmp_path / "broken.toml"
    broken.write_text(
        SEED.read_text(encoding="utf-8").replace(
            'renewal_type = "open_ended"', 'renewal_type = "sometimes"', 1
        ),
        encoding="utf-8",
    )
    refused = run_cli(blank_url, f"seed --file {broken} --update")
    failed(refused)
    assert re.search(
        r"broken\.toml:\d+: agreements\[\d+\] 'ustb-rwth-1979' renewal_type: unknown value "
        r"'sometimes'",
        refused.err,
    ), refused.err
    assert record(blank_url) == before

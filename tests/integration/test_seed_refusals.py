"""`accord seed` with a broken file, on SQLite and PostgreSQL: one line naming file, line and entry.

The values here once behaved differently on the two databases (SQLite stored a NUL or a huge
number that PostgreSQL refused without naming either) or crashed the seeding with exit 70 (a
renewal window that pushed a date out of range). The loader now refuses each before the
database sees it, so both answer the same and nothing is stored.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from models import Agreement, AgreementEvent, Initiative, Institution, Source
from tests.integration.test_cli import run_cli
from tests.unit.test_seed_file import _break

CASES = {
    # name: (anchor, old, new, what the line names after `file:line: `)
    "NUL in a comment": (
        'slug = "hust-itmo-kpa"',
        'comment = "Draft taken up for internal review."',
        'comment = "Draft\\u0000"',
        "agreements[0] 'hust-itmo-kpa' history[0] comment: the text must not contain control",
    ),
    "NUL in an assumption": (
        'slug = "tohoku"',
        'assumption = "The article',
        'assumption = "The\\u0000 article',
        "institutions[7] 'tohoku' assumption: the text must not contain control",
    ),
    "renewal window overflow": (
        'slug = "hust-itmo-kpa"',
        "term_months = 60",
        "term_months = 60\nrenewal_window_days = 1000000",
        "agreements[0] 'hust-itmo-kpa' renewal_window_days: 1000000 is too large",
    ),
    "integer overflow": (
        'slug = "hust-key-partnership-initiative"',
        "target = 10",
        "target = 100000000000",
        "initiatives[0] 'hust-key-partnership-initiative' target: 100000000000 is too large",
    ),
    "date past the horizon": (
        'slug = "hust-rwth-mou"',
        "until = 2027-01-14",
        "until = 9999-12-31",
        "agreements[3] 'hust-rwth-mou' history[4] until: 9999-12-31 is after 2200-12-31",
    ),
    "invisible title": (
        'slug = "hust-itmo-kpa"',
        'title = "HUST-ITMO Key Partnership Agreement"',
        'title = "\\u200b"',
        "agreements[0] 'hust-itmo-kpa' title: must not be empty",
    ),
}


def _counts(engine: Engine) -> list[int | None]:
    with engine.connect() as conn:
        return [
            conn.scalar(select(func.count()).select_from(t.__table__))
            for t in (Source, Institution, Initiative, Agreement, AgreementEvent)
        ]


@pytest.mark.parametrize("case", CASES)
def test_a_broken_seed_file_is_one_line_and_stores_nothing(
    engine: Engine, db_url: str, tmp_path: Path, case: str
) -> None:
    anchor, old, new, named = CASES[case]
    path, line = _break(tmp_path, anchor, old, new)
    outcome = run_cli(db_url, f"seed --file {path} --today 2026-11-22")
    assert outcome.code == 1, outcome
    [said] = outcome.err.splitlines()
    assert said.startswith(f"accord: error: {path}:{line + new.count(chr(10))}: {named}"), said
    assert _counts(engine) == [0, 0, 0, 0, 0]

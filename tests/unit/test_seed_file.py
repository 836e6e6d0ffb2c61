"""The real seed file loads and keeps its own conventions; each kind of damage is named by line."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from workflow.errors import InvalidInput
from workflow.lifecycle import Trigger
from workflow.seeding.schema import SeedFile
from workflow.seeding.store import load_seed_file

SEED = Path(__file__).resolve().parents[2] / "data" / "seed.toml"
# A news article reports what happened in the weeks before it appeared: a date it can state
# (the file leaves such dates without a note) lies at most this long before publication.
REPORTED_WITHIN = timedelta(days=31)


@pytest.fixture(scope="module")
def real() -> SeedFile:
    return load_seed_file(SEED)


def test_the_real_file_loads(real: SeedFile) -> None:
    assert real.meta.version == 1
    slugs = [a.slug for a in real.agreements]
    assert len(slugs) == len(set(slugs)) == 8
    assert {"hust-itmo-kpa", "hust-qmul-kpa", "hust-rwth-kpa", "hust-rwth-mou"} <= set(slugs)
    assert (len(real.sources), len(real.institutions), len(real.partnerships)) == (5, 9, 7)
    assert [i.target for i in real.initiatives] == [10]


def test_every_fact_cites_a_source_that_exists(real: SeedFile) -> None:
    sources = {s.id for s in real.sources}
    cited = [e.source for e in real.institutions + real.people + real.milestones]
    cited += [e.source for e in real.units + real.partnerships + real.agreements]
    cited += [p.since_source or "" for p in real.partnerships if p.since is not None]
    cited += [s for i in real.initiatives for s in i.sources]
    assert set(cited) <= sources
    assert {s.id for s in real.sources} == set(cited), "a source that nothing cites"


def test_every_date_the_articles_do_not_state_carries_an_assumption(real: SeedFile) -> None:
    published = {s.id: s.published for s in real.sources}
    for a in real.agreements:
        day = published[a.source]
        stated = [s for s in a.history if s.assumption is None]
        # The file's convention: only a reported signing or renewal goes without a note...
        assert all(s.trigger in (Trigger.SIGN, Trigger.RENEW) for s in stated), a.slug
        # ...and the article must have been able to report it: on or shortly before publication.
        assert all(day - REPORTED_WITHIN <= s.on <= day for s in stated), a.slug
        assert a.proposed_assumption, f"{a.slug}: no article reports a proposal date"
        for step in a.history:
            assert step.until is None or step.until_assumption, f"{a.slug} {step.on}: no end date"
            assert all(s.person or s.assumption for s in step.signatories), a.slug
        # No article calls anyone an agreement's coordinator: each one named is a reading.
        assert a.coordinator is None or a.coordinator_assumption, a.slug
    for m in real.milestones:
        assert m.precision == "day" or m.assumption, f"{m.title}: placeholder day without a note"
        day = published[m.source]
        assert m.assumption or day - REPORTED_WITHIN <= m.on <= day, m.title
    for p in real.partnerships:
        assert p.meeting_cadence is None or p.meeting_assumption, p.slug


def _break(tmp_path: Path, anchor: str, old: str, new: str) -> tuple[Path, int]:
    """Replace the first `old` after the line holding `anchor`; return the file and that line."""
    lines = SEED.read_text(encoding="utf-8").splitlines(keepends=True)
    start = next(n for n, line in enumerate(lines) if anchor in line)
    at = next(n for n in range(start, len(lines)) if old in lines[n])
    lines[at] = lines[at].replace(old, new, 1)
    path = tmp_path / "seed.toml"
    path.write_text("".join(lines), encoding="utf-8")
    return path, at + 1


CASES = {
    # name: (anchor line, text to replace, replacement, the entry the message must name)
    "toml syntax": (
        'slug = "hust-rwth-kpa"',
        'title = "HUST-RWTH Key Partnership Agreement"',
        'title = "HUST-RWTH Key Partnership Agreement',
        "agreements[2] 'hust-rwth-kpa' title: TOML syntax error",
    ),
    "impossible date": (
        'slug = "hust-rwth-mou"',
        "until = 2027-01-14",
        "until = 2022-02-30",
        "agreements[3] 'hust-rwth-mou' history[4] until",
    ),
    "date as text": (
        'id = "hust-qmul-2021"',
        "published = 2021-09-28",
        'published = "2021-09-28"',
        "sources[2] 'hust-qmul-2021' published: invalid date",
    ),
    "unknown trigger": (
        'slug = "hust-qmul-kpa"',
        'trigger = "approve"',
        'trigger = "aprove"',
        "agreements[1] 'hust-qmul-kpa' history[1] trigger: unknown value 'aprove'",
    ),
    "unknown partner": (
        'slug = "hust-heidelberg"',
        'partner = "heidelberg"',
        'partner = "heidelburg"',
        "partnerships[1] 'hust-heidelberg' partner: no institutions entry has the id 'heidelburg'",
    ),
    "unknown party": (
        'slug = "ustb-tata-steel-2014"',
        'parties = ["ustb", "tata-steel"]',
        'parties = ["ustb", "tata"]',
        "agreements[7] 'ustb-tata-steel-2014' parties[1]: no institutions entry",
    ),
    "unknown kind": (
        'slug = "hust-rwth-mou"',
        'kind = "mou"',
        'kind = "memo"',
        "agreements[3] 'hust-rwth-mou' kind: unknown value 'memo'",
    ),
    "empty title": (
        'slug = "hust-itmo-kpa"',
        'title = "HUST-ITMO Key Partnership Agreement"',
        'title = "   "',
        "agreements[0] 'hust-itmo-kpa' title: must not be empty",
    ),
    "extra key": (
        'slug = "tohoku"',
        'slug = "tohoku"',
        'slug = "tohoku"\ncolour = "red"',
        "institutions[7] 'tohoku' colour: unknown key",
    ),
    "signatory for a non-party": (
        'slug = "hust-itmo-kpa"',
        '{ party = "itmo", person = "vasiliev" }',
        '{ party = "rwth", person = "vasiliev" }',
        "agreements[0] 'hust-itmo-kpa' history[3] signatories[1]: 'rwth' is not a party",
    ),
    "sign before review": (
        'slug = "hust-rwth-kpa"',
        'trigger = "review"',
        'trigger = "sign"',
        "agreements[2] 'hust-rwth-kpa' history[0] trigger: cannot sign from proposed",
    ),
    "history out of order": (
        'slug = "hust-rwth-student-exchange"',
        "on = 2016-11-14",
        "on = 2016-10-01",
        "agreements[4] 'hust-rwth-student-exchange' history[1] on: 2016-10-01 is before",
    ),
    # A NUL is stored by SQLite and refused by PostgreSQL: the loader refuses it for both.
    "NUL in a comment": (
        'slug = "hust-itmo-kpa"',
        'comment = "Draft taken up for internal review."',
        'comment = "Draft taken up\\u0000 for internal review."',
        "agreements[0] 'hust-itmo-kpa' history[0] comment: the text must not contain control "
        "characters other than line breaks and tabs (U+0000)",
    ),
    "NUL in an assumption": (
        'slug = "hust-itmo-kpa"',
        'proposed_assumption = "Not reported;',
        'proposed_assumption = "Not\\u0000 reported;',
        "agreements[0] 'hust-itmo-kpa' proposed_assumption: the text must not contain control",
    ),
    "raw NUL byte": (
        'slug = "hust-itmo-kpa"',
        'comment = "Draft taken up for internal review."',
        'comment = "Draft taken up\x00 for internal review."',
        "agreements[0] 'hust-itmo-kpa' history[0] comment: TOML syntax error: Illegal character",
    ),
    # Numbers too large for the columns, or for the dates computed from them.
    "renewal window overflow": (
        'slug = "hust-itmo-kpa"',
        "term_months = 60",
        "term_months = 60\nrenewal_window_days = 1000000",
        "agreements[0] 'hust-itmo-kpa' renewal_window_days: 1000000 is too large: at most 3650",
    ),
    "term overflow": (
        'slug = "hust-itmo-kpa"',
        "term_months = 60",
        "term_months = 100000000",
        "agreements[0] 'hust-itmo-kpa' term_months: 100000000 is too large: at most 1200",
    ),
    "notice overflow": (
        'slug = "hust-itmo-kpa"',
        "term_months = 60",
        "term_months = 60\nnotice_days = 10000000000",
        "agreements[0] 'hust-itmo-kpa' notice_days: 10000000000 is too large: at most 3650",
    ),
    "target overflow": (
        'slug = "hust-key-partnership-initiative"',
        "target = 10",
        "target = 100000000000",
        "initiatives[0] 'hust-key-partnership-initiative' target: 100000000000 is too large",
    ),
    "horizon overflow": (
        'slug = "hust-key-partnership-initiative"',
        "horizon_years = 5",
        "horizon_years = 5000000000",
        "initiatives[0] 'hust-key-partnership-initiative' horizon_years: 5000000000 is too large",
    ),
    "date past the horizon": (
        'slug = "hust-rwth-mou"',
        "until = 2027-01-14",
        "until = 9999-12-31",
        "agreements[3] 'hust-rwth-mou' history[4] until: 9999-12-31 is after 2200-12-31",
    ),
    "proposal past the horizon": (
        'slug = "hust-itmo-kpa"',
        "proposed_on = 2021-01-18",
        "proposed_on = 2201-01-18",
        "agreements[0] 'hust-itmo-kpa' proposed_on: 2201-01-18 is after 2200-12-31",
    ),
    # Only invisible characters (zero-width space, word joiner, no-break space) are no title.
    "invisible title": (
        'slug = "hust-itmo-kpa"',
        'title = "HUST-ITMO Key Partnership Agreement"',
        'title = "\\u200b\\u2060\\u00a0"',
        "agreements[0] 'hust-itmo-kpa' title: must not be empty",
    ),
    "invisible name": (
        'slug = "chen-jie"',
        'name = "Chen Jie"',
        'name = "\\ufeff\\u200d"',
        "people[3] 'chen-jie' name: must not be empty",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_a_broken_file_is_refused_naming_file_line_and_entry(tmp_path: Path, case: str) -> None:
    anchor, old, new, entry = CASES[case]
    path, line = _break(tmp_path, anchor, old, new)
    line += new.count("\n")  # an added key is on the line after the one replaced
    with pytest.raises(InvalidInput) as raised:
        load_seed_file(path)
    message = str(raised.value)
    assert message.startswith(f"{path}:{line}: {entry}"), message
    assert "\n" not in message


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"nothing\.toml: cannot read the seed file"):
        load_seed_file(tmp_path / "nothing.toml")


def test_a_missing_key_is_named_at_its_entry(tmp_path: Path) -> None:
    path, _ = _break(tmp_path, 'slug = "hust-qmul-kpa"', "proposed_on = 2021-06-01", "")
    header = SEED.read_text(encoding="utf-8").splitlines().index('slug = "hust-qmul-kpa"')
    with pytest.raises(InvalidInput) as raised:
        load_seed_file(path)
    assert str(raised.value) == (
        f"{path}:{header}: agreements[1] 'hust-qmul-kpa' proposed_on: missing (required)"
    )

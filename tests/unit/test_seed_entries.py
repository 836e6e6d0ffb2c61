"""Seed entries that reach mail: partnership contacts, and header-safe names, titles, addresses.

A line break in a seed value could become a forged mail header (`Bcc:`); the loader refuses it
where it enters, naming file:line, long before anything is sent.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from workflow.errors import InvalidInput
from workflow.seeding.schema import SeedFile
from workflow.seeding.store import SeedReport, load_seed_file

SEED = Path(__file__).resolve().parents[2] / "data" / "seed.toml"


@pytest.fixture(scope="module")
def real() -> SeedFile:
    return load_seed_file(SEED)


def _edit(tmp_path: Path, anchor: str, old: str, new: str) -> tuple[Path, int]:
    """Replace the first `old` at or after the line holding `anchor`; return file and line."""
    lines = SEED.read_text(encoding="utf-8").splitlines(keepends=True)
    start = next(n for n, line in enumerate(lines) if anchor in line)
    at = next(n for n in range(start, len(lines)) if old in lines[n])
    lines[at] = lines[at].replace(old, new, 1)
    path = tmp_path / "seed.toml"
    path.write_text("".join(lines), encoding="utf-8")
    return path, at + 1


def test_the_articles_named_partnership_contacts_are_set_and_marked_as_assumptions(
    real: SeedFile,
) -> None:
    contacts = {
        p.slug: (p.home_contact, p.partner_contact) for p in real.partnerships if p.home_contact
    }
    assert contacts == {
        "hust-rwth": ("chen-jie", "uwe-kai-schroder"),
        "hust-heidelberg": ("chen-jie", "michael-kirschfink"),
        "hust-qmul": ("tian-wan", "colin-grant"),
    }
    people = {p.slug: p for p in real.people}
    institutions = {p.slug: (p.home, p.partner) for p in real.partnerships}
    for slug, pair in contacts.items():
        [partnership] = [p for p in real.partnerships if p.slug == slug]
        assert partnership.contacts_assumption, f"{slug}: no article names a contact"
        for person_slug, institution in zip(pair, institutions[slug], strict=True):
            person = people[person_slug or ""]
            assert person.institution == institution
            # No article states an address: each is a placeholder on <institution>.example.org.
            assert person.email
            assert person.email.endswith(f"@{institution}.example.org")
            assert "placeholder" in (person.assumption or "").lower()
    # The annual meeting's invitation has somebody to go to on both sides.
    [heidelberg] = [p for p in real.partnerships if p.slug == "hust-heidelberg"]
    assert heidelberg.meeting_cadence == "annual"


ZONES = {
    "hust": "Asia/Shanghai",
    "rwth": "Europe/Berlin",
    "heidelberg": "Europe/Berlin",
    "qmul": "Europe/London",
    "itmo": "Europe/Moscow",
    "ustb": "Asia/Shanghai",
    "tata-steel": "Asia/Kolkata",
    "tohoku": "Asia/Tokyo",
    "uk-consulate-wuhan": "Asia/Shanghai",
}


def test_every_institution_has_a_time_zone_marked_as_an_assumption(real: SeedFile) -> None:
    assert {i.slug: i.time_zone for i in real.institutions} == ZONES
    for institution in real.institutions:
        # No article states a time zone: each is read from the city or country, and says so.
        note = institution.time_zone_assumption or ""
        assert note.startswith("No article gives a time zone;"), institution.slug
        assert str(institution.time_zone) in note, institution.slug


CASES = {
    # name: (anchor, old, new, what the message names after file:line)
    "time zone that is not an IANA name": (
        'slug = "hust"',
        'time_zone = "Asia/Shanghai"',
        'time_zone = "Asia/Wuhan"',
        "institutions[0] 'hust' time_zone: 'Asia/Wuhan' is not an IANA time zone name "
        "(such as Europe/Berlin)",
    ),
    "CR/LF in a person's name": (
        'slug = "chen-jie"',
        'name = "Chen Jie"',
        'name = "Chen Jie\\r\\nBcc: all@evil.example"',
        "people[3] 'chen-jie' name: a value that may reach a mail header must not contain "
        "line breaks (CR/LF): refused",
    ),
    "LF in an agreement title": (
        'slug = "hust-qmul-kpa"',
        'title = "HUST-Queen Mary Key Partnership Agreement"',
        'title = """HUST-Queen Mary\nKey Partnership Agreement"""',
        "agreements[1] 'hust-qmul-kpa' title: a value that may reach a mail header must not "
        "contain line breaks",
    ),
    "CR/LF in an address": (
        'slug = "michael-kirschfink"',
        'email = "michael.kirschfink@heidelberg.example.org"',
        'email = "michael.kirschfink@heidelberg.example.org\\r\\nBcc: all@evil.example"',
        "people[20] 'michael-kirschfink' email: a value that may reach a mail header must not "
        "contain line breaks",
    ),
    "control character in a unit name": (
        'slug = "hust-oia"',
        'name = "Office of International Affairs"',
        'name = "Office of International\\u0000Affairs"',
        "units[0] 'hust-oia' name: a value that may reach a mail header must not contain "
        "control characters (U+0000)",
    ),
    "non-ASCII address": (
        'slug = "uwe-kai-schroder"',
        'email = "uwe-kai.schroeder@rwth.example.org"',
        'email = "uwe-kai.schröder@rwth.example.org"',
        "people[14] 'uwe-kai-schroder' email: the address: 'uwe-kai.schröder@rwth.example.org' "
        "is not an email address",
    ),
    "contact at the wrong institution": (
        'slug = "hust-heidelberg"',
        'partner_contact = "michael-kirschfink"',
        'partner_contact = "uwe-kai-schroder"',
        "partnerships[1] 'hust-heidelberg' partner_contact: 'uwe-kai-schroder' is not at "
        "'heidelberg'",
    ),
    "unknown contact": (
        'slug = "hust-rwth"',
        'home_contact = "chen-jie"',
        'home_contact = "chen-jay"',
        "partnerships[0] 'hust-rwth' home_contact: no people entry has the id 'chen-jay'",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_a_bad_entry_is_refused_naming_file_line_and_entry(tmp_path: Path, case: str) -> None:
    anchor, old, new, named = CASES[case]
    path, line = _edit(tmp_path, anchor, old, new)
    with pytest.raises(InvalidInput) as raised:
        load_seed_file(path)
    message = str(raised.value)
    assert message.startswith(f"{path}:{line}: {named}"), message
    assert "\n" not in message
    assert "\r" not in message


def test_the_seed_report_says_one_of_a_kind_in_the_singular() -> None:
    report = SeedReport()
    report.created |= {"initiatives": 1, "people": 1, "agreements": 2}
    report.unchanged |= {"people": 3}
    report.moves = 1
    assert str(report) == (
        "created 1 person, 1 initiative, 2 agreements (1 move replayed); unchanged 3 people"
    )

"""`agreements list` filters, sorts, keyset pages and CSV; REF by a piece of the title."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, select

from models import Agreement
from tests import factories
from tests.integration.test_cli import ok, propose, run_cli
from workflow.agreements.listing import SORTS
from workflow.lifecycle import RenewalType
from workflow.uow import UnitOfWork


@dataclass
class Records:
    """Two signed MoUs (2021, 2022), two proposals with a unit or coordinator, one more Alpha."""

    alpha: str
    beta: str
    gamma: str
    delta: str
    alpha_two: str

    def all(self) -> list[str]:
        """Every slug, in id order."""
        return [self.alpha, self.beta, self.gamma, self.delta, self.alpha_two]


@pytest.fixture
def records(engine: Engine, db_url: str) -> Records:
    """The agreements these tests look for."""
    factories.institutions(engine)
    factories.contacts(engine)
    alpha = factories.active(engine, "Alpha memorandum", signed=date(2021, 6, 1))
    beta = factories.active(engine, "Beta 100% exchange", signed=date(2022, 3, 1))
    gamma = propose(db_url, "Gamma research", "--unit intl-office --coordinator coord")["slug"]
    delta = propose(db_url, "Delta_plan", "--coordinator partner-contact")["slug"]
    alpha_two = propose(db_url, "Alpha follow-up")["slug"]
    return Records(alpha, beta, gamma, delta, alpha_two)


def set_renewal_type(engine: Engine, slug: str, renewal_type: str) -> None:
    """Give one agreement a renewal type (a term of the agreement, not a lifecycle state;
    `agreements new` does not take one yet)."""
    with UnitOfWork(engine) as uow:
        row = uow.session.scalars(select(Agreement).where(Agreement.slug == slug)).one()
        row.renewal_type = RenewalType(renewal_type)
        uow.commit()


def listed(db_url: str, args: str) -> list[dict[str, Any]]:
    """What `agreements list ARGS --json` prints (the bare array: no --limit)."""
    found: list[dict[str, Any]] = ok(db_url, f"agreements list {args} --json").json()
    return found


def slugs(db_url: str, args: str) -> list[str]:
    """The slugs listed, in order."""
    return [a["slug"] for a in listed(db_url, args)]


def refused(db_url: str, command: str) -> str:
    """A command that must fail with one line on stderr; that line."""
    outcome = run_cli(db_url, command)
    assert outcome.code != 0, outcome
    assert len(outcome.err.splitlines()) == 1, outcome.err
    assert "Traceback" not in outcome.err + outcome.out
    return outcome.err


def test_text_finds_title_slug_parties_and_coordinator(db_url: str, records: Records) -> None:
    r = records
    assert slugs(db_url, "--q ALPHA") == [r.alpha, r.alpha_two]
    assert slugs(db_url, "--q 'cora ord'") == [r.gamma]  # the coordinator's name
    assert slugs(db_url, "--q 'partner univ'") == r.all()  # a party's name
    assert slugs(db_url, "--q home") == r.all()  # a party's short name and slug
    assert slugs(db_url, f"--q {r.delta}") == [r.delta]
    # % and _ are the text itself, not LIKE's wildcards.
    assert slugs(db_url, "--q '100%'") == [r.beta]
    assert slugs(db_url, "--q _") == [r.delta]
    assert slugs(db_url, "--q nowhere") == []
    assert "--q is empty" in refused(db_url, "agreements list --q ' '")


def test_unit_coordinator_and_signing_dates(db_url: str, records: Records) -> None:
    r = records
    assert slugs(db_url, "--unit intl-office") == [r.gamma]
    assert slugs(db_url, "--unit INTL-OFFICE") == [r.gamma]
    assert slugs(db_url, "--unit no-such-unit") == []
    assert slugs(db_url, "--coordinator pat") == [r.delta]
    assert slugs(db_url, "--coordinator coord --q gamma") == [r.gamma]
    assert "no person matching" in refused(db_url, "agreements list --coordinator zed")
    assert slugs(db_url, "--signed-after 2022-01-01") == [r.beta]
    assert slugs(db_url, "--signed-before 2022-01-01") == [r.alpha]
    assert slugs(db_url, "--signed-after 2021-06-01 --signed-before 2021-06-01") == [r.alpha]
    assert "swap them" in refused(
        db_url, "agreements list --signed-after 2023-01-01 --signed-before 2022-01-01"
    )
    assert "--signed-after" in refused(db_url, "agreements list --signed-after 2022-13-01")


@pytest.mark.parametrize("field", list(SORTS))
def test_each_sort_both_ways(db_url: str, records: Records, field: str) -> None:
    up = listed(db_url, f"--sort {field}")
    down = listed(db_url, f"--sort -{field}")
    assert [a["id"] for a in down] == [a["id"] for a in reversed(up)]
    assert sorted(a["slug"] for a in up) == sorted(records.all())
    # Missing values last going up; equal values by id.
    keys = [(a[field] is None, a[field] or "", a["id"]) for a in up]
    if field in ("id", "proposed_on", "signed_on", "expires_on"):  # no collation involved
        assert keys == sorted(keys)
    else:
        assert [k[2] for k in keys if k[1] == keys[0][1]] == sorted(
            k[2] for k in keys if k[1] == keys[0][1]
        )


def test_a_bad_sort_is_refused(db_url: str, records: Records) -> None:
    assert "sort by one of id, slug" in refused(db_url, "agreements list --sort title")


def pages(db_url: str, args: str, limit: int) -> list[list[int]]:
    """Every page's ids, following each envelope's `next` until it is null."""
    cursor, seen = "", []
    for _ in range(20):
        out = ok(db_url, f"agreements list {args} --limit {limit} {cursor} --json").json()
        assert set(out) == {"items", "next"}
        seen.append([a["id"] for a in out["items"]])
        if out["next"] is None:
            return seen
        cursor = f"--after {out['next']}"
    raise AssertionError("the pages never ended")


@pytest.mark.parametrize("sort", [*SORTS, *(f"-{f}" for f in SORTS)])
def test_pages_cover_every_row_once(db_url: str, records: Records, sort: str) -> None:
    whole = [a["id"] for a in listed(db_url, f"--sort {sort}")]
    got = pages(db_url, f"--sort {sort}", 2)
    assert [len(p) for p in got] == [2, 2, 1]
    assert [i for p in got for i in p] == whole
    assert pages(db_url, f"--sort {sort} --q partner", 5) == [whole]


def test_the_table_prints_the_next_cursor(db_url: str, records: Records) -> None:
    first = ok(db_url, "agreements list --sort -signed_on --limit 3").out.splitlines()
    assert first[-1].startswith("next page: --after ")
    rest = ok(db_url, f"agreements list --sort -signed_on --limit 3 {first[-1][11:]}").out
    shown = [line.split()[1] for line in first[1:-1] + rest.splitlines()[1:]]
    assert shown == slugs(db_url, "--sort -signed_on")
    assert "next page" not in rest


def test_bad_cursors_are_refused_in_one_line(db_url: str, records: Records) -> None:
    cursor = ok(db_url, "agreements list --limit 1 --json").json()["next"]
    assert "not a cursor" in refused(db_url, "agreements list --after garbage!")
    assert "not a cursor" in refused(db_url, f"agreements list --after {cursor[:-3]}")
    line = refused(db_url, f"agreements list --sort slug --after {cursor}")
    assert "made for --sort id, not --sort slug" in line
    assert "from 1 to 200" in refused(db_url, "agreements list --limit 0")
    assert "from 1 to 200" in refused(db_url, "agreements list --limit 201")


def test_csv_writes_the_tables_rows(db_url: str, records: Records) -> None:
    out = ok(db_url, "agreements list --csv --sort expires_on").out
    lines = list(csv.reader(io.StringIO(out)))
    fields = ["id", "slug", "state", "kind", "partner", "expires_on", "renewal_type"]
    assert lines[0] == fields
    expected = [
        [str(a[f]) if f == "id" else a[f] or "" for f in fields]
        for a in listed(db_url, "--sort expires_on")
    ]
    assert lines[1:] == expected
    paged = run_cli(db_url, "agreements list --csv --limit 2")
    assert paged.code == 0
    assert len(list(csv.reader(io.StringIO(paged.out)))) == 3
    assert paged.err.startswith("next page: --after ")
    assert "give one of them" in refused(db_url, "agreements list --csv --json")


def test_renewal_type_filters_and_is_in_every_row(
    engine: Engine, db_url: str, records: Records
) -> None:
    r = records
    set_renewal_type(engine, r.beta, "auto")
    set_renewal_type(engine, r.delta, "open_ended")
    assert slugs(db_url, "--renewal-type auto") == [r.beta]
    assert slugs(db_url, "--renewal-type open_ended") == [r.delta]
    assert slugs(db_url, "--renewal-type OPEN-ENDED --q delta") == [r.delta]
    assert slugs(db_url, "--renewal-type fixed") == [r.alpha, r.gamma, r.alpha_two]
    assert slugs(db_url, "--renewal-type auto --state proposed") == []
    expected = {r.alpha: "fixed", r.beta: "auto", r.gamma: "fixed", r.delta: "open_ended"}
    expected[r.alpha_two] = "fixed"
    whole = {a["slug"]: a["renewal_type"] for a in listed(db_url, "")}
    rows = list(csv.DictReader(io.StringIO(ok(db_url, "agreements list --csv --limit 5").out)))
    assert whole == {a["slug"]: a["renewal_type"] for a in rows} == expected
    table = ok(db_url, "agreements list --renewal-type auto").out.splitlines()
    assert [line.split()[1] for line in table[1:]] == [r.beta]
    line = refused(db_url, "agreements list --renewal-type yearly")
    assert "--renewal-type 'yearly': give one of fixed, auto, open_ended" in line


def test_ref_by_a_piece_of_the_title(db_url: str, records: Records) -> None:
    assert ok(db_url, "agreements show 'gamma RES' --json").json()["slug"] == records.gamma
    assert ok(db_url, "agreements history delta_ --json").json()[0]["trigger"] == "propose"
    ok(db_url, "agreements advance 'gamma res' review")  # the move's own lookup
    assert ok(db_url, f"agreements show {records.gamma} --json").json()["state"] == "under_review"
    assert "no agreement 'omega'" in refused(db_url, "agreements show omega")


def test_an_ambiguous_piece_lists_the_matches(db_url: str, records: Records) -> None:
    for command in ("show alpha", "advance alpha withdraw", "triggers ALPHA"):
        line = refused(db_url, f"agreements {command}")
        assert f"{records.alpha} (Alpha memorandum)" in line
        assert f"{records.alpha_two} (Alpha follow-up)" in line
        assert "give the slug or the id" in line
    assert ok(db_url, f"agreements show {records.alpha} --json").json()["state"] == "active"

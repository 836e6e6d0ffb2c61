"""`accord seed` reports how stored directory entries differ from the file; `--update` applies
the file's values as recorded edits, and `seed` alone never overwrites."""

from __future__ import annotations

from sqlalchemy import Engine, text

from tests.integration.test_cli import ok


def _hust(engine: Engine) -> tuple[str, str, int]:
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT city, country, version FROM institutions WHERE slug = 'hust'")
        ).one()
    return row.city, row.country, row.version


def test_seed_reports_differences_and_update_applies_them_as_edits(
    engine: Engine, db_url: str
) -> None:
    ok(db_url, "seed")
    ok(db_url, "institutions edit hust --expect-version 1 --city Hankou --actor Ann")
    ok(db_url, "people edit chen-jie --expect-version 1 --email changed@example.org --actor Ann")

    said = ok(db_url, "seed").out
    assert "2 entries differ from the seed file: " in said
    assert "institutions hust city: 'Hankou' stored, 'Wuhan' in the file" in said
    assert "`accord seed --update`" in said
    assert not said.startswith("nothing to do")
    report = ok(db_url, "seed --json").json()
    assert report["unchanged"]["institutions"] == 8
    assert {(d["kind"], d["field"]) for d in report["differences"]} == {
        ("institutions", "city"),
        ("people", "email"),
    }
    assert _hust(engine) == ("Hankou", "CN", 2)  # seed alone never overwrites

    updated = ok(db_url, "seed --update").out
    assert "updated 2 entries from the seed file" in updated
    assert _hust(engine) == ("Wuhan", "CN", 3)
    history = ok(db_url, "institutions show hust --history --json").json()["history"]
    assert (history[-1]["actor"], history[-1]["field"], history[-1]["before"]) == (
        "seed",
        "city",
        "Hankou",
    )
    assert ok(db_url, "seed").out.startswith("nothing to do: unchanged")

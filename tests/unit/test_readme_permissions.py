"""The README's table of who may do what is the permission table's own rendering."""

from __future__ import annotations

from pathlib import Path

from workflow.accounts import permissions

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_permissions_match_the_table_in_code() -> None:
    text = README.read_text(encoding="utf-8")
    start, stop = text.find(permissions.BEGIN), text.find(permissions.END)
    assert start >= 0, "README lacks the permissions table markers"
    assert text[start : stop + len(permissions.END)] == permissions.markdown_table(), (
        "paste `python -c 'from workflow.accounts.permissions import markdown_table as t; "
        "print(t())'` into the README"
    )


def test_the_table_shows_the_unit_rule_and_the_refusals() -> None:
    drawn = permissions.markdown_table()
    assert "| `move:approve` |  |  | own units |  | yes |" in drawn
    assert "| `move:suspend` |  | own units | own units |  | yes |" in drawn
    assert "| `read` | yes | yes | yes | yes | yes |" in drawn

"""`accord serve` refuses what it cannot serve in one line, before uvicorn starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.test_cli import run_cli


@pytest.mark.parametrize(
    ("url", "args", "words"),
    [
        ("sqlite:///{tmp}/none.db", "", "no database at {tmp}/none.db: run `accord db upgrade`"),
        ("sqlite:///{tmp}/no/such/folder/a.db", "", "the folder {tmp}/no/such/folder does not"),
        ("mysql://x/y", "", "ACCORD_DATABASE_URL: must be a sqlite:/// or postgresql"),
        ("sqlite:///{tmp}/none.db", "--workers 0", "--workers must be from 1 to 64, not 0"),
        ("sqlite:///{tmp}/none.db", "--port 70000", "--port must be from 0 to 65535"),
    ],
)
def test_serve_refuses_in_one_line(tmp_path: Path, url: str, args: str, words: str) -> None:
    outcome = run_cli(url.format(tmp=tmp_path), f"serve {args}")
    assert outcome.code == 1, outcome
    assert outcome.out == ""
    assert outcome.err.count("\n") == 1, outcome.err
    assert words.format(tmp=tmp_path) in outcome.err
    assert not (tmp_path / "none.db").exists()

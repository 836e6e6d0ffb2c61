"""Where the SQLite database lives: only `accord db upgrade` creates it; every other command that
finds no database says so, naming the file and `accord db upgrade`, and leaves no file behind.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.test_cli import run_cli
from workflow.database_file import check_folder, require_database, sqlite_file
from workflow.errors import InvalidInput

# Reading commands and writing ones alike: none may leave an empty database file behind.
COMMANDS = [
    "agreements list",
    "agreements show 1",
    "agreements history 1",
    "agreements triggers 1",
    "board",
    "initiatives",
    "reminders due",
    "reminders policy mou",
    "outbox status",
    "dead-letters list",
    "meetings list",
    "db current",
    "agreements new --home a --partner b --kind mou --title T",
    "seed --today 2026-11-22",
    "reminders run",
]


@pytest.mark.parametrize("command", COMMANDS)
def test_a_missing_database_is_named_and_not_created(tmp_path: Path, command: str) -> None:
    db = tmp_path / "accord.db"
    outcome = run_cli(f"sqlite:///{db}", command, env={"ACCORD_HOME": str(tmp_path / "home")})
    assert outcome.code == 1, outcome
    assert outcome.err == (
        f"accord: error: no database at {db}: run `accord db upgrade` to create it\n"
    )
    assert list(tmp_path.rglob("*.db")) == []


@pytest.mark.parametrize("command", ["board", "agreements list --json"])
def test_the_default_home_gets_no_database_from_a_read(tmp_path: Path, command: str) -> None:
    home = tmp_path / "var"
    outcome = run_cli("", command, env={"ACCORD_HOME": str(home)})
    assert outcome.code == 1, outcome
    assert f"no database at {(home / 'accord.db').resolve()}" in outcome.err
    assert not (home / "accord.db").exists()


@pytest.mark.parametrize("command", ["agreements list", "db upgrade", "db current"])
def test_a_folder_that_does_not_exist_is_named(tmp_path: Path, command: str) -> None:
    db = tmp_path / "nonexistent" / "dir" / "a.db"
    outcome = run_cli(f"sqlite:///{db}", command)
    assert outcome.code == 1, outcome
    assert outcome.err == (
        f"accord: error: cannot open the database {db}: the folder {db.parent} does not exist; "
        "create it, or set ACCORD_DATABASE_URL to a file in a folder that does\n"
    )
    assert not (tmp_path / "nonexistent").exists()


def test_upgrade_creates_the_database_and_then_reads_work(tmp_path: Path) -> None:
    db = tmp_path / "accord.db"
    upgraded = run_cli(f"sqlite:///{db}", "db upgrade")
    assert upgraded.code == 0, upgraded
    assert db.is_file()
    listed = run_cli(f"sqlite:///{db}", "agreements list")
    assert (listed.code, listed.out, listed.err) == (0, "no agreements match\n", "")
    # The embedded default: upgrade makes the home folder as well.
    home = tmp_path / "home"
    assert run_cli("", "db upgrade", env={"ACCORD_HOME": str(home)}).code == 0
    assert (home / "accord.db").is_file()
    assert run_cli("", "board", env={"ACCORD_HOME": str(home)}).code == 0


def test_sqlite_files_are_told_from_other_databases(tmp_path: Path) -> None:
    assert sqlite_file(f"sqlite:///{tmp_path}/a.db") == tmp_path / "a.db"
    assert sqlite_file("sqlite:///relative/a.db") == Path("relative/a.db")
    for url in ("sqlite://", "sqlite:///:memory:", "postgresql+psycopg://u@h/db"):
        assert sqlite_file(url) is None
        assert require_database(url) == url
    url = f"sqlite:///{tmp_path}/a.db"
    assert check_folder(url) == url
    with pytest.raises(InvalidInput, match="no database at"):
        require_database(url)
    (tmp_path / "a.db").touch()
    assert require_database(url) == url

"""A bad ACCORD_* value, asked of every command: one line naming the variable, exit 1, no traceback.

`accord worker`, `accord beat` and `accord serve` run as real processes (they exec Celery, or
serve, when the settings are good); the others run in-process. The database named does not
exist: with a bad setting no command gets as far as opening it, and none creates it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from typer.main import get_command

from cli.main import app
from tests.integration.test_cli import run_cli
from workflow.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
# Every command with arguments it would accept; a new command must be added here.
COMMANDS = {
    "db upgrade": "",
    "db downgrade": "base",
    "db current": "",
    "seed": "--today 2026-11-22",
    "agreements list": "",
    "agreements show": "1",
    "agreements history": "1",
    "agreements triggers": "1",
    "agreements new": "--home a --partner b --kind mou --title T",
    "agreements advance": "1 review",
    "agreements advance-many": "review --ref 1",
    "agreements edit": "1 --expect-version 1 --title T",
    "agreements note": "1 text",
    "agreements follow-up": "1 text --due 2200-01-01 --owner 1",
    "agreements follow-ups": "",
    "agreements done": "1",
    "tick": "--today 2026-11-22",
    "board": "",
    "initiatives": "",
    "reminders due": "",
    "reminders run": "",
    "reminders policy": "mou",
    "reminders offsets": "1",
    "meetings list": "",
    "meetings schedule": "hust-rwth --at 2027-01-15T09:00Z",
    "meetings reschedule": "1 --at 2027-01-16T09:00Z",
    "meetings cancel": "1",
    "outbox status": "",
    "dead-letters list": "",
    "dead-letters replay": "1",
    "institutions list": "",
    "institutions show": "hust",
    "institutions add": "x --name X --kind other --country DE",
    "institutions edit": "hust --expect-version 1 --city Wuhan",
    "institutions delete": "hust --expect-version 1",
    "units list": "",
    "units show": "hust-cse",
    "units add": "x --institution hust --name X --kind office",
    "units edit": "hust-cse --expect-version 1 --name X",
    "units delete": "hust-cse --expect-version 1",
    "people list": "",
    "people show": "1",
    "people add": "x --name X --institution hust",
    "people edit": "1 --expect-version 1 --title Dean",
    "people delete": "1 --expect-version 1",
    "partnerships list": "",
    "partnerships show": "hust-rwth",
    "partnerships add": "--home hust --partner rwth",
    "partnerships edit": "hust-rwth --expect-version 1 --since 2000",
    "partnerships delete": "hust-rwth --expect-version 1",
    "worker": "",
    "beat": "",
    "serve": "--port 0",
    "users add": "a@example.org --name A --role viewer",
    "users list": "",
    "users show": "a@example.org",
    "users disable": "a@example.org",
    "users enable": "a@example.org",
    "users grant": "a@example.org --unit hust-cse",
    "users revoke": "a@example.org --unit hust-cse",
    "users set-password": "a@example.org",
    "tokens create": "a@example.org",
    "tokens list": "",
    "tokens revoke": "1",
    "audit list": "",
}
# The one command that reads no setting: it prints the machine's diagram.
NEEDS_NO_SETTINGS = {"lifecycle"}
BAD = {
    # variable=value: what the line must say about it
    "ACCORD_REMINDER_OFFSETS=notjson": "ACCORD_REMINDER_OFFSETS: not a JSON list",
    'ACCORD_REMINDER_OFFSETS=[180,"soon"]': "ACCORD_REMINDER_OFFSETS: item 2:",
    "ACCORD_SMTP_PORT=x": "ACCORD_SMTP_PORT: Input should be a valid integer",
    "ACCORD_TASK_TIME_LIMIT=5000": "ACCORD_TASK_TIME_LIMIT (5000) must be below",
}


def _paths(command: Any, prefix: str = "") -> set[str]:
    """Every command's full name; a group (Typer's own Click) has `commands`."""
    found: set[str] = set()
    for name, sub in command.commands.items():
        path = f"{prefix}{name}"
        found |= _paths(sub, f"{path} ") if hasattr(sub, "commands") else {path}
    return found


def test_every_command_is_asked() -> None:
    assert _paths(get_command(app)) == set(COMMANDS) | NEEDS_NO_SETTINGS


def _run(command: str, env: dict[str, str], db: Path) -> tuple[int, str]:
    settings: dict[str, str] = {
        "ACCORD_DATABASE_URL": f"sqlite:///{db}",
        "ACCORD_HOME": str(db.parent),
        **env,
    }
    # A real process: were the check missed, Celery (or uvicorn) would run; the timeout ends it.
    if command in ("worker", "beat", "serve"):
        environ = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
        done = subprocess.run(
            [sys.executable, "-m", "cli.main", command],
            env=environ | settings,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        return done.returncode, done.stderr
    outcome = run_cli(
        settings["ACCORD_DATABASE_URL"], f"{command} {COMMANDS[command]}", {**settings}
    )
    return outcome.code, outcome.err


@pytest.mark.parametrize("bad", BAD)
@pytest.mark.parametrize("command", COMMANDS)
def test_a_bad_setting_is_one_line_naming_the_variable(
    tmp_path: Path, command: str, bad: str
) -> None:
    name, _, value = bad.partition("=")
    db = tmp_path / "accord.db"
    code, err = _run(command, {name: value}, db)
    assert code == 1, err
    assert "Traceback" not in err
    [line] = err.splitlines()
    assert line.startswith("accord: error: bad setting "), line
    assert BAD[bad] in line, line
    assert "ACCORD_:" not in line, line  # pydantic's own words, not a variable's name
    assert "Value error" not in line, line
    assert not db.exists()


def test_offsets_in_the_environment_are_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCORD_REMINDER_OFFSETS", "[60, 14]")
    assert Settings().reminder_offsets == [60, 14]
    monkeypatch.setenv("ACCORD_REMINDER_OFFSETS", "60,14")
    with pytest.raises(ValidationError, match="not a JSON list"):
        Settings()

"""The CLI starts without the heavy packages only some commands need (bench/cli_start.py times it).

Each probe is a new interpreter, so nothing this test process imported counts: it runs commands
through `cli.main.main` and reports which of the watched packages ended up in `sys.modules`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Mail (Jinja2, icalendar, our notify package), the worker (Celery, kombu, our tasks package),
# migrations (Alembic with Mako and Pygments) and Rich (Typer's fancy help): none of them is
# needed to start, to print help or to read and write agreements.
HEAVY = {"celery", "kombu", "tasks", "icalendar", "jinja2", "notify", "alembic", "mako"}
HEAVY |= {"pygments", "rich"}
# The HTTP API (FastAPI, Starlette, uvicorn and our api package): `accord serve` only.
HEAVY |= {"fastapi", "starlette", "uvicorn", "api"}
# Reading the settings is each command's own work, not the work of every start or `--help`.
SETTINGS = {"pydantic_settings"}

PROBE = """
import contextlib, io, json, sys
WATCHED = set(sys.argv[1].split(","))
def loaded():
    return sorted(m for m in sys.modules if m.split(".")[0] in WATCHED)
import cli.main
steps = [{"argv": ["import cli.main"], "code": 0, "out": "", "loaded": loaded()}]
for argv in json.loads(sys.argv[2]):
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = cli.main.main(argv)
    steps.append({"argv": argv, "code": code, "out": out.getvalue(), "loaded": loaded()})
print(json.dumps(steps))
"""


def probe(home: Path, *commands: str) -> list[dict[str, object]]:
    """Import the CLI, run `commands` one after another in one interpreter; each step's report."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    env["ACCORD_HOME"] = str(home)
    argvs = json.dumps([c.split() for c in commands])
    watched = ",".join(sorted(HEAVY | SETTINGS))
    done = subprocess.run(
        [sys.executable, "-c", PROBE, watched, argvs],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    steps: list[dict[str, object]] = json.loads(done.stdout)
    return steps


def heavy(step: dict[str, object], watched: set[str]) -> list[str]:
    """The watched top-level packages loaded by the end of `step`."""
    names = step["loaded"]
    assert isinstance(names, list)
    return sorted({m.split(".")[0] for m in names} & watched)


def test_import_and_help_load_neither_heavy_packages_nor_settings(tmp_path: Path) -> None:
    steps = probe(
        tmp_path,
        "--help",
        "agreements --help",
        "agreements list --help",
        "db --help",
        "reminders --help",
        "outbox --help",
        "institutions --help",
        "partnerships --help",
        "serve --help",
        "users --help",
        "tokens create --help",
        "audit --help",
        "agreements list --no-such-option",
    )
    for step in steps:
        assert heavy(step, HEAVY | SETTINGS) == [], f"{step['argv']}: import it where it is used"
    codes = [step["code"] for step in steps]
    assert codes == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]
    # Help stays plain text a person can read: usage, the commands, no terminal escapes.
    top = str(steps[1]["out"])
    assert top.startswith("Usage: accord [OPTIONS] COMMAND [ARGS]...")
    assert "agreements" in top
    assert "Commands:" in top
    assert "\x1b[" not in "".join(str(step["out"]) for step in steps)


def test_seeding_and_reading_load_no_heavy_package(tmp_path: Path, sqlite_template: Path) -> None:
    shutil.copy(sqlite_template, tmp_path / "accord.db")
    steps = probe(
        tmp_path,
        "seed",
        "agreements list",
        "agreements list --json",
        "agreements show hust-rwth-mou",
        "agreements history hust-rwth-mou",
        "agreements triggers hust-rwth-mou",
        "agreements follow-ups --open",
        "agreements note --help",
        "board",
        "initiatives",
        "reminders due",
        "institutions list",
        "institutions show ustb --history",
        "units list --institution hust",
        "people list --q rwth",
        "partnerships show ustb-rwth --history",
        "users list",
        "tokens list",
        "audit list",
    )
    for step in steps:
        assert heavy(step, HEAVY) == [], f"{step['argv']}: import it where it is used"
        assert step["code"] == 0, step
    assert "hust-rwth-mou" in str(steps[2]["out"])


def test_the_probe_sees_what_a_command_loads(tmp_path: Path, sqlite_template: Path) -> None:
    """The checks above can fail: `db current` needs Alembic, a read needs the settings."""
    shutil.copy(sqlite_template, tmp_path / "accord.db")
    steps = probe(tmp_path, "db current", "agreements list")
    assert heavy(steps[0], HEAVY | SETTINGS) == []
    assert "(head)" in str(steps[1]["out"])
    assert "alembic" in heavy(steps[1], HEAVY)
    assert "pydantic_settings" in heavy(steps[2], SETTINGS)

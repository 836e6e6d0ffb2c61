"""The README's first command, `bash scripts/demo.sh`, run as it is, in its finite mode.

The script itself (not a reimplementation) under a temporary ACCORD_HOME: it installs from the
lock file (a no-op here), migrates, seeds, ticks, prints the board, runs the real Celery worker
and beat on the embedded defaults (a SQLite database, kombu's SQLAlchemy broker on a SQLite
file, mail as .eml files) until what is due is mailed, stops both, and says what to run next.
"""

from __future__ import annotations

import os
import subprocess
from email import policy
from email.parser import BytesParser
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.e2e.services import ROOT, live_members, wait_for

DEMO = ROOT / "scripts" / "demo.sh"
# The script's own bound (ACCORD_DEMO_WAIT, 180 s) plus migrating, seeding and stopping.
TIMEOUT = 420


def _demo(home: Path, **extra: str) -> tuple[subprocess.CompletedProcess[str], int]:
    """Run demo.sh in its own process group; return what it printed and the group's id."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    env.update(ACCORD_HOME=str(home), PYTHONUNBUFFERED="1", **extra)
    proc = subprocess.Popen(
        ["bash", str(DEMO)], cwd=ROOT, env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
    )  # fmt: skip
    out, err = proc.communicate(timeout=TIMEOUT)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err), proc.pid


def _sent(home: Path) -> dict[str, tuple[str, str | None, str | None]]:
    """Message-ID -> (kind, agreement slug, trigger) of every notification marked sent."""
    engine = create_engine(f"sqlite:///{home / 'accord.db'}")
    query = text(
        "SELECT n.message_id, n.kind, a.slug, e.trigger FROM notifications n"
        " LEFT JOIN agreements a ON a.id = n.agreement_id"
        " LEFT JOIN agreement_events e ON e.id = n.event_id WHERE n.status = 'sent'"
    )
    with engine.connect() as conn:
        found = {row[0]: (row[1], row[2], row[3]) for row in conn.execute(query)}
    engine.dispose()
    return found


def test_the_demo_runs_to_the_end_mails_what_is_due_and_says_what_next(tmp_path: Path) -> None:
    home = tmp_path / "home"
    run, pgid = _demo(home, ACCORD_DEMO_MODE="finite")
    assert run.returncode == 0, f"{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    # The worker and beat were stopped by the script (warm shutdown, not its 20 s kill).
    assert "did not stop" not in run.stderr, run.stderr
    wait_for(lambda: not live_members(pgid), 10, "the demo's processes to be gone")

    out = run.stdout
    assert "Agreements by state" in out  # the board
    assert "==> drained after" in out

    # One .eml file per mail the database marks sent; each listed by the script.
    parser = BytesParser(policy=policy.default)
    files = sorted((home / "mail").glob("*.eml"))
    ids = []
    for path in files:
        with path.open("rb") as fh:
            ids.append(str(parser.parse(fh, headersonly=True)["Message-ID"]))
        assert f"  {path.name}\n" in out
    sent = _sent(home)
    assert sorted(ids) == sorted(sent), "the .eml files and the sent rows differ"
    assert f"{len(files)} e-mail(s) are in {home / 'mail'}/" in out
    # Whatever the day: the first tick lapses the ITMO and Queen Mary key partnerships (their
    # terms ended in 2026) and each expiry is mailed; the seeded history itself mails nothing.
    notices = {(slug, trigger) for kind, slug, trigger in sent.values() if kind == "event_notice"}
    assert {("hust-itmo-kpa", "expire"), ("hust-qmul-kpa", "expire")} <= notices
    assert not {t for _, t in notices} & {"sign", "renew"}, notices

    # It ends by saying what to run next, with this ACCORD_HOME.
    tail = out[out.rindex("==> next") :]
    for line in (
        "source .venv/bin/activate",
        f"export ACCORD_HOME={home}",
        "accord board",
        "accord agreements show hust-rwth-kpa",
    ):
        assert line in tail, tail


def test_an_unknown_demo_mode_is_refused_before_anything_runs(tmp_path: Path) -> None:
    home = tmp_path / "home"
    run, _ = _demo(home, ACCORD_DEMO_MODE="forever")
    assert run.returncode == 2
    assert run.stderr.startswith("demo.sh: ACCORD_DEMO_MODE=forever is not a mode"), run.stderr
    assert "finite" in run.stderr
    assert len(run.stderr.splitlines()) == 1
    assert not home.exists()

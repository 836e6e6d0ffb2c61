"""The Celery settings that matter (DESIGN.md), and a scan of the source for what must never be
there: delays of more than minutes on a message, and eager mode.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from tasks.app import make_app
from workflow.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
REDIS = "redis://127.0.0.1:6379/0"
POSTGRES = "postgresql+psycopg://accord@127.0.0.1/accord"
TASKS = {
    "accord.sweep",
    "accord.relay",
    "accord.handle_outbox",
    "accord.send_notification",
    "accord.send_notifications",
}
MAX_DELAY = 15 * 60  # seconds: "minutes", not months (DESIGN.md, reminders are rows)


def _app(**changes: Any) -> Any:
    return make_app(Settings(broker_url=REDIS, database_url=POSTGRES, **changes))


def _conf(**changes: Any) -> Any:
    return _app(**changes).conf


@pytest.fixture
def conf() -> Any:
    """The configuration of an app on Redis with default settings."""
    return _conf()


def test_a_message_is_acknowledged_after_its_task_and_given_back_by_a_lost_worker(
    conf: Any,
) -> None:
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1


def test_json_only_utc_no_results_and_events_on(conf: Any) -> None:
    assert (conf.task_serializer, conf.result_serializer) == ("json", "json")
    assert list(conf.accept_content) == ["json"]
    assert (conf.timezone, conf.enable_utc) == ("UTC", True)
    assert conf.task_ignore_result is True
    assert conf.worker_send_task_events is True
    assert conf.task_send_sent_event is True


def test_the_time_limit_stays_below_the_brokers_visibility_timeout(conf: Any) -> None:
    visibility = conf.broker_transport_options["visibility_timeout"]
    assert conf.task_soft_time_limit < conf.task_time_limit < visibility


def test_a_publish_with_redis_down_fails_at_once(conf: Any) -> None:
    """One immediate retry at most: the outbox row backs off instead (kombu waits 2 s otherwise)."""
    options = conf.broker_transport_options
    assert options["max_retries"] <= 1
    assert options["interval_start"] == 0
    assert options["socket_connect_timeout"] <= 5


def test_configured_limits_reach_the_app() -> None:
    conf = _conf(task_time_limit=100, visibility_timeout=600)
    assert conf.broker_url == REDIS
    assert conf.task_time_limit == 100
    assert conf.broker_transport_options["visibility_timeout"] == 600


@pytest.mark.parametrize(("limit", "visibility"), [(3600, 3600), (4000, 3600), (120, 60)])
def test_settings_refuse_a_time_limit_not_below_the_visibility_timeout(
    limit: int, visibility: int
) -> None:
    with pytest.raises(ValidationError, match=r"ACCORD_TASK_TIME_LIMIT.*ACCORD_VISIBILITY_TIMEOUT"):
        Settings(task_time_limit=limit, visibility_timeout=visibility)


def test_the_environment_is_refused_the_same_way(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCORD_TASK_TIME_LIMIT", "7200")
    monkeypatch.setenv("ACCORD_VISIBILITY_TIMEOUT", "3600")
    with pytest.raises(ValidationError, match="ACCORD_TASK_TIME_LIMIT"):
        Settings()


def test_no_eager_mode(conf: Any) -> None:
    import tasks.app

    assert not conf.task_always_eager
    assert not tasks.app.app.conf.task_always_eager


def test_every_task_keeps_the_apps_delivery_guarantees() -> None:
    import tasks.jobs
    from tasks.app import app

    assert tasks.jobs.sweep_task.name == "accord.sweep"
    ours = {name: task for name, task in app.tasks.items() if name.startswith("accord.")}
    assert set(ours) >= TASKS
    for name, task in ours.items():
        assert (task.acks_late, task.reject_on_worker_lost, task.ignore_result) == (
            True,
            True,
            True,
        ), name


@pytest.mark.parametrize("size", [0, 101])
def test_the_send_batch_size_is_bounded(size: int) -> None:
    with pytest.raises(ValidationError, match="send_batch_size"):
        Settings(send_batch_size=size)


def test_beat_sweeps_and_relays_every_few_minutes_at_most(conf: Any) -> None:
    entries = conf.beat_schedule.values()
    assert {entry["task"] for entry in entries} == {"accord.sweep", "accord.relay"}
    assert all(0 < float(entry["schedule"]) <= MAX_DELAY for entry in entries)


def test_beat_runs_each_task_at_its_own_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two distinct values, read from the environment: swapped intervals fail here."""
    from celery.beat import Scheduler

    monkeypatch.setenv("ACCORD_SWEEP_INTERVAL", "17")
    monkeypatch.setenv("ACCORD_RELAY_INTERVAL", "3")
    # The schedule as beat itself reads it from the app's configuration.
    entries = Scheduler(_app()).schedule.values()
    every = {entry.task: entry.schedule.run_every for entry in entries}
    assert every == {"accord.sweep": timedelta(seconds=17), "accord.relay": timedelta(seconds=3)}


def test_the_default_broker_needs_no_server(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("ACCORD_BROKER_URL", raising=False)
    conf = make_app(Settings(home=tmp_path, database_url=POSTGRES)).conf
    assert conf.broker_url.startswith("sqla+sqlite:///")


# --- the source scan -------------------------------------------------------------------------

DELAYS = {"countdown", "eta", "default_retry_delay", "retry_backoff_max"}


def _python_files(*folders: str) -> Iterator[Path]:
    for folder in folders:
        yield from sorted((ROOT / folder).rglob("*.py"))


def _delays(tree: ast.AST) -> Iterator[tuple[int, str, ast.expr]]:
    """Every `countdown=`/`eta=`-like keyword argument and dict entry, with its value."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            for kw in node.keywords:
                if kw.arg in DELAYS:
                    yield kw.lineno, kw.arg, kw.value
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value in DELAYS:
                    yield key.lineno, str(key.value), value


def _offences(source: str, where: str) -> list[str]:
    """The delays in one module's source that are longer than minutes, or cannot be checked."""
    found, seen = [], set()
    for line, name, value in _delays(ast.parse(source, where)):
        seen.add(line)
        try:
            seconds = ast.literal_eval(value)
        except ValueError:
            # eta= is a datetime, a computed countdown may be anything: neither is checkable.
            found.append(f"{where}:{line}: {name}={ast.unparse(value)} (not a literal)")
            continue
        ok = isinstance(seconds, int | float) and 0 <= seconds <= MAX_DELAY
        if name == "eta" or not ok:
            found.append(f"{where}:{line}: {name}={seconds!r}")
    # A grep as well, for spellings the syntax tree does not show (`**{"countdown": …}` aside).
    for n, text in enumerate(source.splitlines(), start=1):
        code = text.split("#", 1)[0]
        if n not in seen and re.search(r"\b(countdown|eta)\s*=(?!=)", code):
            found.append(f"{where}:{n}: {text.strip()}")
    return found


@pytest.mark.parametrize(
    "source",
    [
        "remind.apply_async(args=[1], countdown=90 * 24 * 3600)",
        "remind.apply_async(args=[1], eta=datetime(2027, 1, 1))",
        "remind.apply_async(args=[1], countdown=days)",
        "options = {'countdown': 86400}",
        "eta = expires_on",
    ],
)
def test_the_scan_catches_long_delays(source: str) -> None:
    assert _offences(source, "example.py")


def test_the_scan_allows_a_short_literal_delay() -> None:
    assert _offences("self.retry(countdown=30)", "example.py") == []


def test_no_message_is_delayed_longer_than_minutes() -> None:
    """Reminders are rows with a due date, never a Celery ETA/countdown (DESIGN.md)."""
    found = []
    for path in _python_files("tasks", "workflow", "cli"):
        found += _offences(path.read_text(), str(path.relative_to(ROOT)))
    assert found == [], "delayed messages (use a row with a due date):\n" + "\n".join(found)


SKIPPED_DIRS = {".git", ".venv", "var", "node_modules", "__pycache__"}
TEXT = {".py", ".md", ".toml", ".yml", ".yaml", ".cfg", ".ini", ".sh", ".txt", ".env", ".json"}


def _project_text_files() -> Iterator[Path]:
    for path in ROOT.rglob("*"):
        parts = set(path.relative_to(ROOT).parts)
        if parts & SKIPPED_DIRS or any(p.startswith(".") and p != ".ci" for p in parts):
            continue
        if path.is_file() and (path.suffix in TEXT or path.name == "Dockerfile"):
            yield path


def test_eager_mode_is_named_nowhere_but_here() -> None:
    """Eager mode runs tasks in the caller: acks, retries and serialisation all go untested."""
    me = Path(__file__).resolve()
    files = [path for path in _project_text_files() if path.resolve() != me]
    assert {"README.md", "pyproject.toml", "tasks/app.py"} <= {
        str(p.relative_to(ROOT)) for p in files
    }
    named = [
        str(path.relative_to(ROOT))
        for path in files
        if "always_eager" in path.read_text(errors="replace").lower()
    ]
    assert named == [], "eager mode is named in these files"

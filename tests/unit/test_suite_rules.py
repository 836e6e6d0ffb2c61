"""The suite's own rules, checked on its source: every setting is moved by some test, and test
dates are the UTC day, as the CLI's.

The effect tests themselves live with what they exercise (test_settings_cli, _worker, _mail,
test_celery_config, ...); this only finds a setting that nobody tests. A setting counts as
named when a test module spells its variable (ACCORD_SEND_BATCH_SIZE) or passes its field as
a keyword argument (Settings(send_batch_size=2), settings(server, smtp_user=...)).
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

from workflow.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"
# Documented settings whose effect test another part of the work adds; each entry must go once
# a test names it (the test below fails until it does).
AWAITED: dict[str, str] = {}


def documented() -> set[str]:
    """Every ACCORD_* variable the README names."""
    return set(re.findall(r"\bACCORD_[A-Z][A-Z_]*[A-Z]\b", (ROOT / "README.md").read_text()))


def fields() -> dict[str, str]:
    """Variable name -> Settings field, for every field."""
    return {f"ACCORD_{name.upper()}": name for name in Settings.model_fields}


@cache
def sources() -> tuple[tuple[Path, str], ...]:
    """(path, source) of every test module but this one."""
    me = Path(__file__).resolve()
    paths = sorted(p for p in TESTS.rglob("*.py") if p.resolve() != me)
    return tuple((p, p.read_text()) for p in paths)


@cache
def keywords() -> frozenset[str]:
    """Every keyword-argument name any test passes to any call."""
    found: set[str] = set()
    for path, source in sources():
        for node in ast.walk(ast.parse(source, str(path))):
            if isinstance(node, ast.Call):
                found.update(kw.arg for kw in node.keywords if kw.arg)
    return frozenset(found)


def named(variable: str) -> bool:
    """Whether some test spells the variable or passes its Settings field by keyword."""
    if any(variable in source for _, source in sources()):
        return True
    field = fields().get(variable)
    return field is not None and field in keywords()


def test_the_readme_and_the_settings_agree_on_the_names_that_matter() -> None:
    """The scan below has something to find: it would pass vacuously on an empty list."""
    assert {"ACCORD_SEND_BATCH_SIZE", "ACCORD_SWEEP_INTERVAL", "ACCORD_HOME"} <= documented()
    assert {"ACCORD_SEND_BATCH_SIZE", "ACCORD_VISIBILITY_TIMEOUT"} <= set(fields())


def test_every_documented_setting_and_every_field_is_named_by_a_test() -> None:
    wanted = (documented() | set(fields())) - set(AWAITED)
    missing = sorted(v for v in wanted if not named(v))
    assert missing == [], "no test sets these and looks for their effect: " + ", ".join(missing)


def test_an_awaited_setting_leaves_the_list_once_tested() -> None:
    tested = sorted(v for v in AWAITED if named(v))
    assert tested == [], f"these have a test now: remove them from AWAITED: {tested}"


LOCAL_DAY = re.compile(r"\b(date\.today|datetime\.today|datetime\.utcnow|datetime\.now)\(\)")


def test_tests_take_the_day_in_utc() -> None:
    """`date.today()` is the local day; the CLI's day is `datetime.now(UTC).date()`."""
    found = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for path, source in sources()
        for n, line in enumerate(source.splitlines(), start=1)
        if LOCAL_DAY.search(line.split("#", 1)[0])
    ]
    assert found == [], "local dates in tests:\n" + "\n".join(found)

"""Reading the seed file: parse and validate it; errors name the file, line and entry."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from workflow.errors import InvalidInput
from workflow.seeding.checks import cross_check, dry_run
from workflow.seeding.fields import Loc, Problem
from workflow.seeding.schema import SeedFile

_HEADER = re.compile(r"^\s*(\[\[?)\s*([\w-]+(?:\s*\.\s*[\w-]+)*)\s*\]\]?\s*(?:#.*)?$")


def _headers(text: str) -> list[tuple[int, str, bool]]:
    """(line, dotted name, is an array of tables) of every table header in the file."""
    found = [(n, _HEADER.match(line)) for n, line in enumerate(text.splitlines(), 1)]
    return [(n, re.sub(r"\s", "", m[2]), m[1] == "[[") for n, m in found if m]


def locate(text: str, loc: Loc) -> int | None:
    """The line of `loc` (agreements, 3, history, 4, until): the N-th block, then its `key =`."""
    lines, headers = text.splitlines(), _headers(text)
    start, end, prefix, line, parts = 1, len(lines), "", None, list(loc)
    while parts and isinstance(parts[0], str):
        path = f"{prefix}.{parts[0]}" if prefix else parts[0]
        blocks = [n for n, name, _ in headers if name == path and start <= n <= end]
        step = 2 if len(parts) > 1 and isinstance(parts[1], int) else 1
        if not blocks:  # a plain key of the current block, above its first sub-table
            own_end = min([n - 1 for n, _, _ in headers if start < n <= end], default=end)
            key = re.compile(rf"^\s*[\"']?{re.escape(parts[0])}[\"']?\s*=")
            return next((n for n in range(start, own_end + 1) if key.match(lines[n - 1])), line)
        index = int(parts[1]) if step == 2 else 0
        if index >= len(blocks):
            return line
        start = line = blocks[index]
        inside = [n - 1 for n, name, _ in headers if n > start and not name.startswith(path + ".")]
        end, prefix, parts = min(inside, default=end), path, parts[step:]
    return line


def describe(raw: Any, loc: Loc) -> str:
    """`agreements[3] 'hust-rwth-mou' history[4] until`: the path to an entry, with its slug."""
    words: list[str] = []
    for part in loc:
        if isinstance(part, int) and words:
            words[-1] += f"[{part}]"
            raw = raw[part] if isinstance(raw, list) and part < len(raw) else None
            slug = (raw.get("slug") or raw.get("id")) if isinstance(raw, dict) else None
            words += [repr(slug)] if isinstance(slug, str) else []
        else:
            words.append(str(part))
            raw = raw.get(str(part)) if isinstance(raw, dict) else None
    return " ".join(words)


def _entry_at(text: str, line: int) -> Loc:
    """The entry a line belongs to, from the table headers above it (the file did not parse)."""
    counts: dict[str, int] = {}
    loc: Loc = ()
    for n, name, array in _headers(text):
        if n > line:
            break
        counts = {k: v for k, v in counts.items() if not k.startswith(name + ".")}
        counts[name] = counts.get(name, -1) + 1 if array else -1
        parts = name.split(".")
        for depth, part in enumerate(parts):
            index = counts.get(".".join(parts[: depth + 1]), -1)
            loc = (*loc[: 2 * depth], part, index) if index >= 0 else (*loc[: 2 * depth], part)
    return loc


def _syntax_error(origin: str, text: str, exc: tomllib.TOMLDecodeError) -> InvalidInput:
    """tomllib's message (it gives line and column), with the entry that line belongs to."""
    at = re.search(r"at line (\d+)", str(exc))
    line = int(at[1]) if at else len(text.splitlines())
    loc, raw = _entry_at(text, line), dict[str, Any]()
    slug_at = locate(text, (*loc[:2], "slug")) or locate(text, (*loc[:2], "id"))
    value = re.search(r'=\s*"([^"]*)"', text.splitlines()[slug_at - 1]) if slug_at else None
    if len(loc) > 1 and value and slug_at != locate(text, loc[:2]):
        raw = {str(loc[0]): [{}] * int(loc[1]) + [{"slug": value[1]}]}
    key = re.match(r"\s*([\w-]+)\s*=", text.splitlines()[line - 1]) if at else None
    what = describe(raw, (*loc, key[1]) if key else loc)
    return InvalidInput(f"{origin}:{line}: {what + ': ' if what else ''}TOML syntax error: {exc}")


def error(data: SeedFile, loc: Loc, message: str, raw: Any = None) -> InvalidInput:
    """One line, `file:line: entry field: message`, for a problem at `loc` of `data`'s file."""
    line = locate(data.text, loc) if data.text else None
    where = f"{data.origin}:{line}" if line else data.origin
    what = describe(data.model_dump(by_alias=True, mode="json") if raw is None else raw, loc)
    return InvalidInput(f"{where}: {what}: {message}" if what else f"{where}: {message}")


def _message(err: Any) -> str:
    kind, value = err["type"], err.get("input")
    if kind.startswith("date"):
        return f"invalid date {value!r}: write a TOML date, YYYY-MM-DD, unquoted"
    if kind == "value_error":  # our own validators (header-safe text, addresses)
        return str(err["ctx"]["error"])
    if kind in ("enum", "literal_error"):
        return f"unknown value {value!r}; expected {err['ctx']['expected']}"
    if kind == "less_than_equal":  # a number too large for its column or for date arithmetic
        return f"{value} is too large: at most {err['ctx']['le']}"
    known = {
        "extra_forbidden": "unknown key",
        "missing": "missing (required)",
        "string_too_short": "must not be empty",
    }
    return known.get(kind) or str(err["msg"])


def _first(data: SeedFile, problems: list[Problem], raw: Any = None) -> InvalidInput:
    """The problem nearest the top of the file, noting how many more there are."""
    text = data.text or ""
    loc, message = min(problems, key=lambda p: locate(text, p[0]) or 0)
    more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
    return error(data, loc, message + more, raw)


def load_seed_file(path: Path) -> SeedFile:
    """Parse and validate the seed file; any problem raises ONE InvalidInput naming file:line."""
    origin = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
        raw = tomllib.loads(text)
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{origin}: cannot read the seed file: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise _syntax_error(origin, text, exc) from None
    try:
        data = SeedFile.model_validate(raw).attach(origin, text)
    except ValidationError as exc:
        blank = SeedFile.model_construct().attach(origin, text)
        raise _first(blank, [(e["loc"], _message(e)) for e in exc.errors()], raw) from None
    problems = cross_check(data) or dry_run(data)
    if problems:
        raise _first(data, problems)
    return data

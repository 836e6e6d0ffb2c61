"""Where a SQLite database lives: its folder must exist, and only a migration may create the file.

SQLite creates a missing file on connecting, and says only "unable to open database file" when
the folder is missing. Both are checked before connecting, so the message names the path and
what to do, and a command that only reads never leaves an empty database behind.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url

from workflow.errors import InvalidInput


def sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names; None for a server database, memory or a `file:` URI."""
    parsed = make_url(url)
    name = parsed.database
    if parsed.get_backend_name() != "sqlite" or not name or name == ":memory:":
        return None
    if name.startswith("file:") or parsed.query.get("uri"):
        return None  # SQLite's own URI syntax: its path rules are SQLite's
    return Path(name)


def check_folder(url: str) -> str:
    """`url` unchanged, or InvalidInput naming the path when its SQLite folder does not exist."""
    path = sqlite_file(url)
    if path is not None and not path.parent.is_dir():
        raise InvalidInput(
            f"cannot open the database {path}: the folder {path.parent} does not exist; "
            "create it, or set ACCORD_DATABASE_URL to a file in a folder that does"
        )
    return url


def require_database(url: str) -> str:
    """`url` unchanged, or InvalidInput when its SQLite file does not exist yet."""
    path = sqlite_file(check_folder(url))
    if path is not None and not path.exists():
        raise InvalidInput(f"no database at {path}: run `accord db upgrade` to create it")
    return url

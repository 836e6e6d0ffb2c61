"""`accord db ...` (Alembic migrations) and `accord seed` (the partnerships of the articles)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cli.common import JsonFlag, database_url, echo_json, engine_scope, table, today_from
from workflow.errors import InvalidInput

if TYPE_CHECKING:
    from sqlalchemy import Connection

app = typer.Typer(
    help="The database schema: upgrade, downgrade, current revision.", no_args_is_help=True
)

DEFAULT_SEED = Path(__file__).resolve().parents[1] / "data" / "seed.toml"


def _current(url: str) -> tuple[str | None, tuple[str, ...]]:
    """The database's revision and the migrations' heads."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    import migrations  # Alembic and Mako take a quarter of a second: only `db` commands pay it

    heads = tuple(ScriptDirectory.from_config(migrations.config(url)).get_heads())
    with engine_scope() as engine, engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision(), heads


def _describe(revision: str | None, heads: tuple[str, ...]) -> str:
    if revision is None:
        return "none (empty database): run `accord db upgrade`"
    if revision in heads:
        return f"{revision} (head)"
    return f"{revision} (behind {', '.join(heads)}): run `accord db upgrade`"


@app.command()
def upgrade(
    revision: Annotated[str, typer.Argument(metavar="REVISION", help="Target revision.")] = "head",
) -> None:
    """Migrate the database up to REVISION (default: head)."""
    from alembic import command
    from alembic.util.exc import CommandError

    import migrations

    url = database_url()
    cfg = migrations.config(url)
    applied: list[object] = cfg.attributes.setdefault("applied", [])
    try:
        command.upgrade(cfg, revision)
    except CommandError as exc:  # an unknown revision: the user's input, not a bug
        raise InvalidInput(f"cannot upgrade to {revision!r}: {exc}") from None
    # Two upgrades at once queue on a lock: the second finds the first one's work done.
    done = "" if applied else "nothing to do: "
    typer.echo(f"{done}database at {_describe(*_current(url))}")


# The history no one may change or delete: named when a downgrade would drop it.
APPEND_ONLY = {
    "agreement_events": "append-only history",
    "agreement_notes": "append-only history",
}


def _shape(conn: Connection) -> dict[str, tuple[int, set[str]]]:
    """table -> (rows, columns) for every table but Alembic's own."""
    from sqlalchemy import func, inspect, select
    from sqlalchemy import table as table_named

    names = set(inspect(conn).get_table_names()) - {"alembic_version"}
    return {
        name: (
            conn.execute(select(func.count()).select_from(table_named(name))).scalar_one(),
            {c["name"] for c in inspect(conn).get_columns(name)},
        )
        for name in sorted(names)
    }


def _losses(before: dict[str, tuple[int, set[str]]], conn: Connection) -> list[tuple[str, int]]:
    """(what is dropped, rows that held it): tables gone, and columns gone from tables kept."""
    after = _shape(conn)
    lost = []
    for name, (rows, columns) in before.items():
        note = f" ({APPEND_ONLY[name]})" if name in APPEND_ONLY else ""
        if name not in after:
            lost.append((f"table {name}{note}", rows))
        else:
            lost += [(f"column {name}.{c}", rows) for c in sorted(columns - after[name][1])]
    return lost


@app.command()
def downgrade(
    revision: Annotated[
        str, typer.Argument(metavar="REVISION", help="Target revision, or `base` for empty.")
    ],
    yes: Annotated[
        bool, typer.Option("--yes", help="Drop what holds rows; without it, list it and stop.")
    ] = False,
) -> None:
    """Migrate the database down to REVISION; asks (--yes) before dropping anything with rows."""
    from alembic import command
    from alembic.util.exc import CommandError
    from sqlalchemy import pool

    import migrations
    from models import make_engine

    url = database_url()
    cfg = migrations.config(url)
    engine = make_engine(url, sqlite_foreign_keys=False, poolclass=pool.NullPool)
    try:
        # The downgrade runs in one transaction, so what it dropped is seen before it commits
        # and a refusal rolls all of it back (DDL is transactional on PostgreSQL and SQLite).
        with engine.connect() as conn, conn.begin():
            before = _shape(conn)
            cfg.attributes["connection"] = conn
            try:
                command.downgrade(cfg, revision)
            except CommandError as exc:
                raise InvalidInput(f"cannot downgrade to {revision!r}: {exc}") from None
            lost = _losses(before, conn)
            rows = sum(n for _, n in lost)
            listing = table(
                [[f"  {what}", f"{n} {'row' if n == 1 else 'rows'}"] for what, n in lost]
            )
            if rows and not yes:
                typer.echo(f"downgrade to {revision} would drop:\n{listing}")
                raise InvalidInput(
                    f"refused: the downgrade would drop {rows} rows (listed above) and nothing "
                    "was changed; run it again with --yes to drop them"
                )
    finally:
        engine.dispose()
    if lost:
        typer.echo(f"dropped:\n{listing}")
    typer.echo(f"database at {_describe(*_current(url))}")


@app.command()
def current() -> None:
    """Print the database's migration revision."""
    typer.echo(_describe(*_current(database_url())))


def seed(
    file: Annotated[
        Path | None,
        typer.Option("--file", metavar="PATH", help="Seed file (default: data/seed.toml)."),
    ] = None,
    today: Annotated[
        str | None, typer.Option(metavar="DATE", help="Seed as of this day (YYYY-MM-DD).")
    ] = None,
    update: Annotated[
        bool, typer.Option("--update", help="Apply the file's differing values as recorded edits.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Load the partnerships, agreements and dated history of the articles; twice is a no-op.

    Entries already stored that differ from the file are reported; --update applies them."""
    # Imported here so every other command works even while the seeding module changes.
    from workflow.seeding.store import load_seed_file
    from workflow.seeding.store import seed as apply_seed

    path = file or DEFAULT_SEED
    if not path.is_file():
        raise InvalidInput(f"no seed file at {path}")
    day = today_from(today)
    data = load_seed_file(path)
    with engine_scope() as engine:
        report = apply_seed(engine, data, today=day, update=update)
    if as_json:
        echo_json(report.as_dict())
    else:
        typer.echo(str(report))

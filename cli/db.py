"""`accord db ...` (Alembic migrations) and `accord seed` (the partnerships of the articles)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.common import JsonFlag, database_url, echo_json, engine_scope, today_from
from workflow.errors import InvalidInput

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
    try:
        command.upgrade(migrations.config(url), revision)
    except CommandError as exc:  # an unknown revision: the user's input, not a bug
        raise InvalidInput(f"cannot upgrade to {revision!r}: {exc}") from None
    typer.echo(f"database at {_describe(*_current(url))}")


@app.command()
def downgrade(
    revision: Annotated[
        str, typer.Argument(metavar="REVISION", help="Target revision, or `base` for empty.")
    ],
) -> None:
    """Migrate the database down to REVISION."""
    from alembic import command
    from alembic.util.exc import CommandError

    import migrations

    url = database_url()
    try:
        command.downgrade(migrations.config(url), revision)
    except CommandError as exc:
        raise InvalidInput(f"cannot downgrade to {revision!r}: {exc}") from None
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
    as_json: JsonFlag = False,
) -> None:
    """Load the partnerships, agreements and dated history of the articles; twice is a no-op."""
    # Imported here so every other command works even while the seeding module changes.
    from workflow.seeding import load_seed_file
    from workflow.seeding import seed as apply_seed

    path = file or DEFAULT_SEED
    if not path.is_file():
        raise InvalidInput(f"no seed file at {path}")
    day = today_from(today)
    data = load_seed_file(path)
    with engine_scope() as engine:
        report = apply_seed(engine, data, today=day)
    if as_json:
        echo_json(report.as_dict())
    else:
        typer.echo(str(report))

"""`accord tokens create|list|revoke` (API tokens for scripts) and `accord audit list`.

`tokens create` prints the token once, alone on its last line; only its hash is stored.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from cli.common import JsonFlag, dash, echo_json, engine_scope, table
from workflow.uow import UnitOfWork

app = typer.Typer(help="API tokens: Authorization: Bearer <token>.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit of refused requests.", no_args_is_help=True)


@app.command()
def create(
    email: Annotated[str, typer.Argument(metavar="EMAIL", help="Whose token it is.")],
    name: Annotated[str, typer.Option(metavar="N", help="What the token is for.")] = "token",
    expires: Annotated[
        int | None, typer.Option(metavar="DAYS", help="Refused this many days from now.")
    ] = None,
) -> None:
    """Make a token; the last line printed is the token alone (shown once)."""
    from workflow.accounts.tokens import create_token

    with engine_scope() as engine:
        data, token = create_token(
            UnitOfWork(engine), email, name=name, expires_days=expires, now=datetime.now(UTC)
        )
    typer.echo(
        f"token {data['id']} {data['name']!r} for {data['user']}, "
        f"expires {dash(data['expires_at'])}; shown once:"
    )
    typer.echo(token)


@app.command("list")
def list_(
    user: Annotated[str | None, typer.Option(metavar="EMAIL", help="Only this user's.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """List tokens (never the tokens themselves): owner, name, expiry, last use, revocation."""
    from workflow.accounts.tokens import list_tokens

    with engine_scope() as engine, UnitOfWork(engine) as uow:
        found = list_tokens(uow, user)
    if as_json:
        echo_json(found)
        return
    rows = [
        [
            str(t["id"]),
            t["user"],
            t["name"],
            dash(t["expires_at"]),
            dash(t["last_used_at"]),
            dash(t["revoked_at"]),
        ]
        for t in found
    ]
    header = ["ID", "USER", "NAME", "EXPIRES", "LAST USED", "REVOKED"]
    typer.echo(table(rows, header) if rows else "no tokens")


@app.command()
def revoke(
    token_id: Annotated[int, typer.Argument(metavar="ID", help="The token's id (tokens list).")],
) -> None:
    """Revoke a token: refused from the next request on."""
    from workflow.accounts.tokens import revoke_token

    with engine_scope() as engine:
        data = revoke_token(UnitOfWork(engine), token_id, now=datetime.now(UTC))
    typer.echo(f"token {data['id']} of {data['user']} revoked at {data['revoked_at']}")


@audit_app.command("list")
def audit_list(
    limit: Annotated[int, typer.Option(min=1, max=10000, help="At most this many.")] = 100,
    as_json: JsonFlag = False,
) -> None:
    """The latest refusals: when, who, what, the outcome, from where."""
    from workflow.accounts.audit import entries

    with engine_scope() as engine:
        found = entries(engine, limit)
    if as_json:
        echo_json(found)
        return
    rows = [[e["at"], e["who"], e["action"], e["outcome"], dash(e["client"])] for e in found]
    typer.echo(table(rows, ["AT", "WHO", "WHAT", "OUTCOME", "CLIENT"]) if rows else "no entries")

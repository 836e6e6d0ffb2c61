"""`accord users add|list|show|disable|enable|grant|revoke|set-password`: who may use the API.

A password comes from `--password-stdin` (its first line) or is generated and printed once;
it is never logged. Disabling a user or setting their password signs out their sessions.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from cli.common import JsonFlag, echo_json, engine_scope, table
from workflow.uow import UnitOfWork

app = typer.Typer(help="Users of the HTTP API: roles and units.", no_args_is_help=True)

Email = Annotated[str, typer.Argument(metavar="EMAIL", help="The user's e-mail address.")]
UnitsOpt = Annotated[
    list[str] | None,
    typer.Option("--unit", metavar="UNIT", help="A unit's slug (repeat for more)."),
]
ExpectOpt = Annotated[
    int | None,
    typer.Option("--expect-version", metavar="N", help="Refuse unless the user is at version N."),
]
StdinFlag = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from standard input.")
]


def _password(from_stdin: bool) -> tuple[str, bool]:
    """The password and whether it was generated (and so must be shown)."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n"), False
    from workflow.accounts.secrets import generated_password

    return generated_password(), True


def render(u: dict[str, Any]) -> str:
    state = "disabled" if u["disabled"] else "active"
    return (
        f"{u['name']} <{u['email']}> (id {u['id']}, version {u['version']})\n"
        f"  role: {u['role']}   units: {', '.join(u['units']) or '-'}   {state}"
    )


def _show(data: dict[str, Any], as_json: bool) -> None:
    echo_json(data) if as_json else typer.echo(render(data))


@app.command()
def add(
    email: Email,
    name: Annotated[str, typer.Option(metavar="NAME", help="The name moves are recorded by.")],
    role: Annotated[
        str, typer.Option(metavar="ROLE", help="viewer, coordinator, approver, ops or admin.")
    ],
    unit: UnitsOpt = None,
    password_stdin: StdinFlag = False,
    as_json: JsonFlag = False,
) -> None:
    """Add a user; without --password-stdin a password is generated and printed once."""
    from workflow.accounts.users import add_user

    password, generated = _password(password_stdin)
    with engine_scope() as engine:
        data = add_user(
            UnitOfWork(engine), email, name=name, role=role, units=unit or [], password=password
        )
    _show(data, as_json)
    if generated:
        typer.echo(f"password (shown once): {password}")


@app.command("list")
def list_(as_json: JsonFlag = False) -> None:
    """List the users."""
    from workflow.accounts.users import list_users

    with engine_scope() as engine, UnitOfWork(engine) as uow:
        found = list_users(uow)
    if as_json:
        echo_json(found)
        return
    rows = [
        [
            str(u["id"]),
            u["email"],
            u["name"],
            u["role"],
            ",".join(u["units"]) or "-",
            "disabled" if u["disabled"] else "active",
        ]
        for u in found
    ]
    typer.echo(
        table(rows, ["ID", "EMAIL", "NAME", "ROLE", "UNITS", "STATE"]) if rows else "no users"
    )


@app.command()
def show(email: Email, as_json: JsonFlag = False) -> None:
    """Show one user."""
    from workflow.accounts.users import show_user

    with engine_scope() as engine, UnitOfWork(engine) as uow:
        _show(show_user(uow, email), as_json)


def _disabled(email: str, disabled: bool, expect: int | None, as_json: bool) -> None:
    from workflow.accounts.users import set_disabled

    with engine_scope() as engine:
        data = set_disabled(
            UnitOfWork(engine), email, disabled, now=datetime.now(UTC), expected=expect
        )
    _show(data, as_json)


@app.command()
def disable(email: Email, expect_version: ExpectOpt = None, as_json: JsonFlag = False) -> None:
    """Disable a user: their sessions are revoked and their tokens refused, at once."""
    _disabled(email, True, expect_version, as_json)


@app.command()
def enable(email: Email, expect_version: ExpectOpt = None, as_json: JsonFlag = False) -> None:
    """Enable a disabled user again (they sign in anew; their tokens work again)."""
    _disabled(email, False, expect_version, as_json)


def _units(email: str, units: list[str] | None, revoke: bool, expect: int | None, j: bool) -> None:
    from workflow.accounts.users import grant as grant_units
    from workflow.errors import InvalidInput

    if not units:
        raise InvalidInput("name at least one --unit UNIT")
    with engine_scope() as engine:
        data = grant_units(UnitOfWork(engine), email, units, revoke=revoke, expected=expect)
    _show(data, j)


@app.command()
def grant(
    email: Email, unit: UnitsOpt = None, expect_version: ExpectOpt = None, as_json: JsonFlag = False
) -> None:
    """Give a user units whose agreements they work on."""
    _units(email, unit, False, expect_version, as_json)


@app.command()
def revoke(
    email: Email, unit: UnitsOpt = None, expect_version: ExpectOpt = None, as_json: JsonFlag = False
) -> None:
    """Take units away from a user."""
    _units(email, unit, True, expect_version, as_json)


@app.command("set-password")
def set_password(
    email: Email,
    password_stdin: StdinFlag = False,
    expect_version: ExpectOpt = None,
    as_json: JsonFlag = False,
) -> None:
    """Set a user's password (generated and printed once without --password-stdin); their
    sessions are revoked."""
    from workflow.accounts.users import set_password as change

    password, generated = _password(password_stdin)
    with engine_scope() as engine:
        data = change(
            UnitOfWork(engine), email, password, now=datetime.now(UTC), expected=expect_version
        )
    _show(data, as_json)
    if generated:
        typer.echo(f"password (shown once): {password}")

"""`accord users …` and `accord tokens …`: the happy paths, bad input (one line, nothing
changed), a stale --expect-version, a token printed once on its own last line."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, select

from models.accounts import ApiToken, User
from tests import factories
from tests.integration.test_cli import ok, run_cli
from workflow.accounts.secrets import digest, verify_password
from workflow.accounts.tokens import user_of_token
from workflow.uow import UnitOfWork

EMAIL = "cora@example.org"


def users(engine: Engine) -> list[tuple[str, str, str, bool, int]]:
    with UnitOfWork(engine) as uow:
        rows = uow.session.scalars(select(User).order_by(User.id))
        return [(u.email, u.name, u.role, u.disabled, u.version) for u in rows]


def test_add_list_show_grant_disable_and_a_generated_password(engine: Engine, db_url: str) -> None:
    factories.institutions(engine)
    added = ok(db_url, "users add Cora@Example.org --name 'Cora C' --role coordinator --json")
    assert added.out.splitlines()[-1].startswith("password (shown once): ")
    password = added.out.splitlines()[-1].removeprefix("password (shown once): ")
    with UnitOfWork(engine) as uow:
        stored = uow.session.scalars(select(User.password_hash)).one()
    assert password not in stored
    assert verify_password(stored, password)
    assert users(engine) == [(EMAIL, "Cora C", "coordinator", False, 1)]
    assert [u["email"] for u in ok(db_url, "users list --json").json()] == [EMAIL]
    assert ok(db_url, f"users show {EMAIL} --json").json()["units"] == []
    ok(db_url, f"users disable {EMAIL} --expect-version 1")
    assert users(engine)[0][3:] == (True, 2)
    ok(db_url, f"users enable {EMAIL}")
    assert users(engine)[0][3:] == (False, 3)


def test_a_password_from_stdin_is_not_printed(
    engine: Engine, db_url: str, tmp_path: object
) -> None:
    from typer.testing import CliRunner

    from cli.main import app

    result = CliRunner().invoke(
        app,
        ["users", "add", EMAIL, "--name", "Cora", "--role", "viewer", "--password-stdin"],
        input="a long enough secret\n",
        env={"ACCORD_DATABASE_URL": db_url},
    )
    assert result.exit_code == 0, result.output
    assert "a long enough secret" not in result.output
    with UnitOfWork(engine) as uow:
        assert verify_password(
            uow.session.scalars(select(User.password_hash)).one(), "a long enough secret"
        )


def test_bad_input_is_one_line_and_changes_nothing(engine: Engine, db_url: str) -> None:
    ok(db_url, f"users add {EMAIL} --name Cora --role viewer")
    before = users(engine)
    cases = {
        "users add x@example.org --name X --role boss": "--role 'boss': one of viewer,",
        "users add not-an-address --name X --role viewer": "is not an e-mail address",
        f"users add {EMAIL} --name X --role viewer": f"a user {EMAIL} exists already",
        "users add y@example.org --name X --role viewer --unit nowhere": "--unit 'nowhere'",
        f"users grant {EMAIL} --unit nowhere": "--unit 'nowhere': no such unit",
        f"users grant {EMAIL}": "name at least one --unit",
        "users disable nobody@example.org": "no user 'nobody@example.org'",
        "tokens create nobody@example.org": "no user 'nobody@example.org'",
        f"tokens create {EMAIL} --expires 0": "--expires 0: between 1 and 3650 days",
        "tokens revoke 99": "no token 99",
    }
    for command, words in cases.items():
        outcome = run_cli(db_url, command)
        assert outcome.code == 1, (command, outcome)
        assert len(outcome.err.splitlines()) == 1, (command, outcome)
        assert words in outcome.err, (command, outcome)
        assert users(engine) == before, command
    with UnitOfWork(engine) as uow:
        assert uow.session.scalars(select(ApiToken)).all() == []


def test_a_stale_version_is_refused_naming_the_version_now(engine: Engine, db_url: str) -> None:
    ok(db_url, f"users add {EMAIL} --name Cora --role viewer")
    ok(db_url, f"users disable {EMAIL} --expect-version 1")
    before = users(engine)
    for command in ("enable", "set-password"):
        outcome = run_cli(db_url, f"users {command} {EMAIL} --expect-version 1")
        assert outcome.code == 1
        assert f"user {EMAIL} is at version 2, not 1" in outcome.err
        assert users(engine) == before


def test_a_token_is_printed_once_on_its_last_line_and_stored_as_a_hash(
    engine: Engine, db_url: str
) -> None:
    ok(db_url, f"users add {EMAIL} --name Cora --role viewer")
    created = ok(db_url, f"tokens create {EMAIL} --name nightly --expires 30")
    token = created.out.splitlines()[-1]
    assert token.startswith("acc_")
    assert " " not in token
    listed = ok(db_url, "tokens list --json").json()
    assert [(t["user"], t["name"], t["revoked_at"]) for t in listed] == [(EMAIL, "nightly", None)]
    assert token not in ok(db_url, "tokens list").out
    now = datetime.now(UTC)
    with UnitOfWork(engine) as uow:
        assert uow.session.scalars(select(ApiToken.token_hash)).one() == digest(token)
        user = user_of_token(uow, token, now=now)
        assert user is not None
        assert user.email == EMAIL
    ok(db_url, f"tokens revoke {listed[0]['id']}")
    with UnitOfWork(engine) as uow:
        assert user_of_token(uow, token, now=now) is None


def test_a_cli_move_is_marked_as_made_from_the_command_line(engine: Engine, db_url: str) -> None:
    factories.institutions(engine)
    slug = factories.active(engine)
    ok(db_url, f"agreements advance {slug} suspend --comment 'budget' --actor Rector")
    last = ok(db_url, f"agreements history {slug} --json").json()[-1]
    assert (last["actor"], last["data"]["via"]) == ("Rector", "cli")

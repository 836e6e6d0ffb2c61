"""What routes are given: a unit of work on the process's one engine, and the day it is.

Each request that asks for `Uow` gets its own UnitOfWork (one connection, one transaction),
rolled back when the route returns unless the route committed it — a read never writes. The
actor of every write is `Actor`, the one place that says who is writing: for now the
`X-Accord-Actor` header, checked as `--actor` is; sign-in (#9, part 3) swaps its body for the
signed-in user and no route changes. `ExpectedVersion` is `If-Match` for the writes that take
one (428 when missing, 412 when it is no ETag of ours).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy import Engine

from workflow.errors import InvalidInput
from workflow.uow import UnitOfWork
from workflow.validation import actor_name, parse_day


def engine_of(request: Request) -> Engine:
    """The engine create_app made for this process."""
    engine: Engine = request.app.state.engine
    return engine


def unit_of_work(engine: Annotated[Engine, Depends(engine_of)]) -> Iterator[UnitOfWork]:
    """A unit of work for one request, closed (and rolled back unless committed) after it."""
    with UnitOfWork(engine) as uow:
        yield uow


Uow = Annotated[UnitOfWork, Depends(unit_of_work)]


def today(
    value: Annotated[
        str | None,
        Query(alias="today", description="As of this day (YYYY-MM-DD); default today in UTC."),
    ] = None,
) -> date:
    """The `today` query parameter, checked as `--today` is, else today's date in UTC."""
    return parse_day(value, "--today") or datetime.now(UTC).date()


Today = Annotated[date, Depends(today)]


def actor(
    x_accord_actor: Annotated[
        str,
        Header(description="Who writes. Temporary, until sign-in: then the signed-in user."),
    ],
) -> str:
    """Who makes this write: the `X-Accord-Actor` header, checked as `--actor` is.

    Temporary: it trusts the caller as the CLI trusts `--actor`; sign-in replaces this body
    with the signed-in user's name, and every write route follows.
    """
    try:
        return actor_name(x_accord_actor, "X-Accord-Actor")
    except InvalidInput as exc:  # named as the header it is, like any other field's fault
        loc = ("header", "x-accord-actor")
        raise RequestValidationError(
            [{"loc": loc, "msg": str(exc), "type": "value_error"}]
        ) from None


Actor = Annotated[str, Depends(actor)]

_ETAG = re.compile(r'^\s*(?:W/)?"(?P<version>[0-9]{1,9})"\s*$')


def expected_version(
    if_match: Annotated[
        str | None,
        Header(description='The ETag of the record as last read, e.g. "6". Required.'),
    ] = None,
) -> int:
    """The version `If-Match` names: 428 when it is missing, 412 when it is no ETag of ours."""
    if if_match is None:
        raise HTTPException(
            428,
            "this write needs If-Match: the ETag of the record as you last read it (GET it), "
            "the version you are changing; nothing was changed",
        )
    found = _ETAG.match(if_match)
    if found is None:
        raise HTTPException(
            412, f'If-Match {if_match!r} is not an ETag this API gave (like "6"); nothing changed'
        )
    return int(found["version"])


ExpectedVersion = Annotated[int, Depends(expected_version)]

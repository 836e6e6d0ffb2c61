"""Every error as RFC 9457 problem details (`application/problem+json`), and nothing else.

The workflow's own errors (workflow/errors.py) keep their one-line message as `detail`; the
extra members a client acts on ride along: `errors` for invalid input, `legal_triggers` and
`reason` for a refused move, the current `version` and who changed it for a stale one. Anything
else is a 500 whose body says only that the server failed and the id under which the server's
log has the traceback: no exception text, SQL, parameter or file path reaches a client.
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DataError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from workflow.errors import AccordError, InvalidInput, MoveRefused, NotFound, StaleVersion

MEDIA_TYPE = "application/problem+json"
log = logging.getLogger("accord.api")

# A workflow message names the option it is about first (`--sort 'x': ...`, `--after: ...`):
# over HTTP that option is the query parameter or body field of the same name.
_LEADING_OPTION = re.compile(r"^--(?P<name>[a-z][a-z-]*)\b")
# Where in the request a validation error's field is: the field's name is enough.
_WHERE = frozenset({"query", "path", "body", "header"})


class FieldError(BaseModel):
    """One field of the request and what is wrong with it."""

    field: str | None = Field(description="query parameter, path segment or body field")
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details, with the members a client needs to act on the error."""

    type: str = Field(default="about:blank", description="a URI for the kind of problem")
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = Field(default=None, description="422: each field's fault")
    legal_triggers: list[str] | None = Field(default=None, description="409: the legal moves")
    reason: str | None = Field(default=None, description="409: why the guard refused the move")
    version: int | None = Field(default=None, description="412: the version now")
    changed_by: str | None = Field(default=None, description="412: who changed it last")
    changed_at: str | None = Field(default=None, description="412: when (ISO 8601)")
    error_id: str | None = Field(default=None, description="500: the id in the server's log")


_TITLES = {
    400: "Bad request",
    401: "Not signed in",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    412: "Precondition failed: stale version",
    422: "Invalid input",
    428: "Precondition required",
    429: "Too many requests",
    500: "Internal server error",
}
_TYPES = {
    401: "not-signed-in",
    403: "forbidden",
    404: "not-found",
    409: "conflict",
    412: "stale-version",
    422: "invalid-input",
    428: "precondition-required",
    429: "too-many-requests",
    500: "internal-error",
}


def problem(status: int, detail: str, **extra: Any) -> JSONResponse:
    """A problem+json response; `extra` members with None values are left out."""
    kind = _TYPES.get(status)
    body = Problem(
        type=f"/problems/{kind}" if kind else "about:blank",
        title=_TITLES.get(status, "Error"),
        status=status,
        detail=detail,
        **extra,
    )
    # Members that do not apply are left out; inside `errors` a field not known stays null.
    content = {k: v for k, v in body.model_dump().items() if v is not None}
    return JSONResponse(content, status_code=status, media_type=MEDIA_TYPE)


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a route that may answer with these problem statuses (for OpenAPI);
    422 and 500 are documented on every route."""
    wanted = sorted({*statuses, 422, 500})
    return {
        status: {
            "model": Problem,
            "description": _TITLES.get(status, "Error"),
            "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in wanted
    }


def field_of(message: str) -> str | None:
    """The field a workflow message is about, where it names one first (`--signed-after`)."""
    found = _LEADING_OPTION.match(message)
    return found["name"].replace("-", "_") if found else None


def _accord_error(_request: Request, exc: Exception) -> JSONResponse:
    detail = " ".join(str(exc).split())
    if isinstance(exc, NotFound):
        return problem(404, detail)
    if isinstance(exc, MoveRefused):
        return problem(409, detail, legal_triggers=exc.legal, reason=exc.reason)
    if isinstance(exc, StaleVersion):
        return problem(412, detail, version=exc.version, changed_by=exc.actor, changed_at=exc.at)
    if isinstance(exc, InvalidInput):
        return problem(422, detail, errors=[FieldError(field=field_of(detail), message=detail)])
    return problem(422, detail)  # any other AccordError is the client's input too


def _refused(request: Request, exc: Exception) -> JSONResponse:
    """401, 403, 429 and the 404 of an agreement outside the user's units: each audited."""
    from datetime import UTC, datetime

    from workflow.accounts import audit
    from workflow.accounts.errors import Forbidden, NotSignedIn, TooManyAttempts

    detail = " ".join(str(exc).split())
    status = (
        401
        if isinstance(exc, NotSignedIn)
        else 403
        if isinstance(exc, Forbidden)
        else 429
        if isinstance(exc, TooManyAttempts)
        else 404
    )
    user = getattr(request.state, "user", None)
    try:
        audit.record(
            request.app.state.engine,
            who=user.email if user else "anonymous",
            user_id=user.id if user else None,
            action=f"{request.method} {request.url.path}",
            outcome=str(status),
            client=request.client.host if request.client else None,
            now=datetime.now(UTC),
            detail=detail,
        )
    except Exception:  # the refusal still answers; the server's log says the audit failed
        log.exception("could not record the refusal of %s %s", request.method, request.url.path)
    response = problem(status, detail)
    if isinstance(exc, NotSignedIn):
        response.headers["WWW-Authenticate"] = 'Bearer realm="accord"'
    if isinstance(exc, TooManyAttempts):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def _database_refused(_request: Request, exc: Exception) -> JSONResponse:
    from workflow.integrity import integrity_message

    if isinstance(exc, IntegrityError):  # a clash no check before could see: another writer's
        return problem(409, integrity_message(exc))
    return problem(422, "the database refused a value: too long or out of range")


def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = []
    for err in exc.errors():
        # ("query", "limit"): the field is the last named part; the input itself is not echoed.
        names = [str(part) for part in err.get("loc", ()) if part not in _WHERE]
        errors.append(FieldError(field=".".join(names) or None, message=str(err.get("msg", ""))))
    listed = "; ".join(f"{e.field}: {e.message}" if e.field else e.message for e in errors)
    return problem(422, f"invalid request: {listed}", errors=errors)


def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    response = problem(exc.status_code, str(exc.detail))
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


def _internal_error(request: Request, exc: Exception) -> JSONResponse:
    error_id = uuid.uuid4().hex[:12]
    log.error(
        "internal error %s on %s %s", error_id, request.method, request.url.path, exc_info=exc
    )
    return problem(
        500,
        f"the server failed to answer; its log has the details under {error_id}",
        error_id=error_id,
    )


def install(app: FastAPI) -> None:
    """Answer every error of `app` as problem+json."""
    from workflow.accounts.errors import Forbidden, NotOwned, NotSignedIn, TooManyAttempts

    app.add_exception_handler(AccordError, _accord_error)
    for refusal in (NotSignedIn, Forbidden, TooManyAttempts, NotOwned):
        app.add_exception_handler(refusal, _refused)
    app.add_exception_handler(IntegrityError, _database_refused)
    app.add_exception_handler(DataError, _database_refused)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _internal_error)

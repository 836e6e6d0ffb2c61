"""Directory writes for people and partnerships: `POST /api/v1/people|partnerships` and
`PATCH …/{ref}` (If-Match: 428 without, 412 stale), as `accord people|partnerships add | edit
--json` (workflow/directory/people.py, partnerships.py).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import Field

from api.deps import DirectoryEditor, ExpectedVersion, Uow
from api.problems import responses
from api.routes.agreements import etag
from api.schemas import directory as schemas
from api.schemas.agreements import _Strict
from workflow.directory import partnerships, people
from workflow.directory.partnership_views import show_partnership

router = APIRouter(tags=["directory"])
EDIT = responses(404, 409, 412, 428)


class PersonFields(_Strict):
    """Fields to change (as `people edit` takes them); those left out stay."""

    name: str | None = None
    institution: str | None = Field(default=None, description="where they work: id or slug")
    unit: str | None = Field(default=None, description="their unit: slug; '' clears")
    title: str | None = None
    email: str | None = None
    role_description: str | None = None
    active: bool | None = Field(default=None, description="still a contact, or no longer")


class NewPerson(_Strict):
    """A new person (as `people add` takes it)."""

    slug: str
    name: str
    institution: str = Field(description="where they work: id or slug")
    unit: str | None = None
    title: str | None = None
    email: str | None = None
    role_description: str | None = None


class PartnershipFields(_Strict):
    """Fields to change (as `partnerships edit` takes them); those left out stay."""

    since: int | None = Field(default=None, description="cooperating since (year)")
    meeting_cadence: str | None = Field(default=None, description="annual, semiannual, biennial")
    meeting_month: int | None = Field(default=None, description="1-12")
    home_contact: str | None = Field(default=None, description="person; '' clears")
    partner_contact: str | None = Field(default=None, description="person; '' clears")
    summary: str | None = None


class NewPartnership(PartnershipFields):
    """A new partnership (as `partnerships add` takes it)."""

    home: str = Field(description="the home institution")
    partner: str = Field(description="the partner institution")
    slug: str | None = Field(default=None, description="default: from the two short names")


def _created(data: dict[str, Any], request: Request, response: Response) -> dict[str, Any]:
    response.headers["Location"] = f"{request.url.path}/{data['slug']}"
    response.headers["ETag"] = etag(data["version"])
    return data


def _tagged(data: dict[str, Any], response: Response) -> dict[str, Any]:
    response.headers["ETag"] = etag(data["version"])
    return data


@router.post(
    "/people", status_code=201, response_model=schemas.PersonDetail,
    response_model_exclude_unset=True, responses=responses(404, 409),
)  # fmt: skip
def add_person(
    body: NewPerson, request: Request, response: Response, uow: Uow, actor: DirectoryEditor
) -> dict[str, Any]:
    """Add a person (version 1); the fields they start with are logged."""
    new_id = people.add(uow, actor=actor, **body.model_dump())
    uow.commit()
    return _created(people.show_person(uow, ref=str(new_id)), request, response)


@router.patch(
    "/people/{ref}", response_model=schemas.PersonDetail, response_model_exclude_unset=True,
    responses=EDIT,
)  # fmt: skip
def edit_person(
    ref: str, body: PersonFields, response: Response, uow: Uow, version: ExpectedVersion,
    actor: DirectoryEditor,
) -> dict[str, Any]:  # fmt: skip
    """Change fields of a person at the version If-Match names; each change is logged."""
    values = body.model_dump(exclude={"institution", "unit"})
    slug, _ = people.edit(
        uow, ref=ref, expect_version=version, actor=actor, values=values,
        institution=body.institution, unit=body.unit,
    )  # fmt: skip
    uow.commit()
    return _tagged(people.show_person(uow, ref=slug), response)


@router.post(
    "/partnerships", status_code=201, response_model=schemas.PartnershipDetail,
    response_model_exclude_unset=True, responses=responses(404, 409),
)  # fmt: skip
def add_partnership(
    body: NewPartnership, request: Request, response: Response, uow: Uow, actor: DirectoryEditor
) -> dict[str, Any]:
    """Add a partnership (version 1); the fields it starts with are logged."""
    values = body.model_dump(include={"since", "meeting_cadence", "meeting_month", "summary"})
    made = partnerships.add(
        uow, actor=actor, home=body.home, partner=body.partner, slug=body.slug, values=values,
        home_contact=body.home_contact, partner_contact=body.partner_contact,
    )  # fmt: skip
    uow.commit()
    return _created(show_partnership(uow, ref=made), request, response)


@router.patch(
    "/partnerships/{ref}", response_model=schemas.PartnershipDetail,
    response_model_exclude_unset=True, responses=EDIT,
)  # fmt: skip
def edit_partnership(
    ref: str, body: PartnershipFields, response: Response, uow: Uow, version: ExpectedVersion,
    actor: DirectoryEditor,
) -> dict[str, Any]:  # fmt: skip
    """Change fields of a partnership at the version If-Match names; each change is logged."""
    values = body.model_dump(exclude={"home_contact", "partner_contact"})
    slug, _ = partnerships.edit(
        uow, ref=ref, expect_version=version, actor=actor, values=values,
        home_contact=body.home_contact, partner_contact=body.partner_contact,
    )  # fmt: skip
    uow.commit()
    return _tagged(show_partnership(uow, ref=slug), response)

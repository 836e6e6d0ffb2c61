"""Directory writes: `POST /api/v1/institutions|units` and `PATCH …/{ref}` (If-Match: 428
without, 412 stale), as `accord institutions|units add | edit --json` (workflow/directory/).
People and partnerships are still to follow.
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
from workflow.directory import institutions, units
from workflow.directory.institution_views import show_institution

router = APIRouter(tags=["directory"])


class InstitutionFields(_Strict):
    """Fields to change (as `institutions edit` takes them); those left out stay."""

    name: str | None = None
    short_name: str | None = None
    kind: str | None = Field(default=None, description="university, company or other")
    country: str | None = Field(default=None, description="ISO 3166 alpha-2 (DE, CN)")
    city: str | None = None
    time_zone: str | None = None
    founded: int | None = None
    website: str | None = None
    active: bool | None = Field(default=None, description="in use, or no longer")


class NewInstitution(_Strict):
    """A new institution (as `institutions add` takes it)."""

    slug: str = Field(description="e.g. tu-delft")
    name: str
    kind: str = Field(description="university, company or other")
    country: str = Field(description="ISO 3166 alpha-2 (DE, CN)")
    short_name: str | None = None
    city: str | None = None
    time_zone: str | None = None
    founded: int | None = None
    website: str | None = None


class UnitFields(_Strict):
    """Fields to change (as `units edit` takes them); those left out stay."""

    name: str | None = None
    kind: str | None = Field(default=None, description="school, office, hospital, …")
    email: str | None = None


class NewUnit(_Strict):
    """A new unit (as `units add` takes it)."""

    slug: str = Field(description="e.g. tud-intl-office")
    institution: str = Field(description="whose unit it is: id or slug")
    name: str
    kind: str = Field(description="school, office, hospital, …")
    email: str | None = None


def _tagged(data: dict[str, Any], response: Response) -> dict[str, Any]:
    response.headers["ETag"] = etag(data["version"])
    return data


@router.post(
    "/institutions",
    status_code=201,
    response_model=schemas.InstitutionDetail,
    response_model_exclude_unset=True,
    responses=responses(409),
)
def add(
    body: NewInstitution, request: Request, response: Response, uow: Uow, actor: DirectoryEditor
) -> dict[str, Any]:
    """Add an institution (version 1); the fields it starts with are logged."""
    institutions.add(uow, actor=actor, **body.model_dump())
    uow.commit()
    data = show_institution(uow, ref=body.slug.strip())
    response.headers["Location"] = f"{request.url.path}/{data['slug']}"
    return _tagged(data, response)


@router.patch(
    "/institutions/{ref}",
    response_model=schemas.InstitutionDetail,
    response_model_exclude_unset=True,
    responses=responses(404, 409, 412, 428),
)
def edit(
    ref: str,
    body: InstitutionFields,
    response: Response,
    uow: Uow,
    version: ExpectedVersion,
    actor: DirectoryEditor,
) -> dict[str, Any]:
    """Change fields of an institution at the version If-Match names; each change is logged."""
    slug, _ = institutions.edit(
        uow, ref=ref, expect_version=version, actor=actor, values=body.model_dump()
    )
    uow.commit()
    return _tagged(show_institution(uow, ref=slug), response)


@router.post(
    "/units",
    status_code=201,
    response_model=schemas.UnitDetail,
    response_model_exclude_unset=True,
    responses=responses(404, 409),
)
def add_unit(
    body: NewUnit, request: Request, response: Response, uow: Uow, actor: DirectoryEditor
) -> dict[str, Any]:
    """Add a unit of an institution (version 1); the fields it starts with are logged."""
    units.add(uow, actor=actor, **body.model_dump())
    uow.commit()
    data = units.show_unit(uow, ref=body.slug.strip())
    response.headers["Location"] = f"{request.url.path}/{data['slug']}"
    return _tagged(data, response)


@router.patch(
    "/units/{ref}",
    response_model=schemas.UnitDetail,
    response_model_exclude_unset=True,
    responses=responses(404, 409, 412, 428),
)
def edit_unit(
    ref: str,
    body: UnitFields,
    response: Response,
    uow: Uow,
    version: ExpectedVersion,
    actor: DirectoryEditor,
) -> dict[str, Any]:
    """Change fields of a unit at the version If-Match names; each change is logged."""
    slug, _ = units.edit(
        uow, ref=ref, expect_version=version, actor=actor, values=body.model_dump()
    )
    uow.commit()
    return _tagged(units.show_unit(uow, ref=slug), response)

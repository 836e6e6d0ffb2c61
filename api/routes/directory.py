"""`/api/v1/institutions|units|people|partnerships`: lists with the CLI's filters, and one record
with what hangs on it (its change log with `?history=true`) and its version as ETag.

Each route calls the workflow/directory view the CLI's `list` and `show` call.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from api.deps import Uow
from api.problems import responses
from api.routes.agreements import etag
from api.schemas import directory as schemas
from workflow.directory import institution_views, partnership_views, people, units

router = APIRouter()

Q = Annotated[str | None, Query(description="Only those matching this text.")]
Country = Annotated[str | None, Query(description="ISO 3166 alpha-2 country code.")]
InstitutionRef = Annotated[
    str | None, Query(description="An institution's id or slug.", alias="institution")
]
History = Annotated[bool, Query(description="Also every logged change.")]
DETAIL: dict[str, Any] = {"responses": responses(404), "response_model_exclude_unset": True}


def _tagged(data: dict[str, Any], response: Response) -> dict[str, Any]:
    response.headers["ETag"] = etag(data["version"])
    return data


@router.get(
    "/institutions",
    response_model=list[schemas.Institution],
    responses=responses(404),
    tags=["directory"],
)
def list_institutions(
    uow: Uow,
    q: Q = None,
    country: Country = None,
    kind: Annotated[str | None, Query(description="university, company or other.")] = None,
) -> list[dict[str, Any]]:
    """Institutions by slug (as `accord institutions list --json`)."""
    return institution_views.list_institutions(uow, q=q, country=country, kind=kind)


@router.get(
    "/institutions/{ref}", response_model=schemas.InstitutionDetail, tags=["directory"], **DETAIL
)
def show_institution(
    ref: str, uow: Uow, response: Response, history: History = False
) -> dict[str, Any]:
    """One institution with its units, people, partnerships and agreements."""
    return _tagged(institution_views.show_institution(uow, ref=ref, history=history), response)


@router.get(
    "/units", response_model=list[schemas.Unit], responses=responses(404), tags=["directory"]
)
def list_units(
    uow: Uow,
    q: Q = None,
    institution: InstitutionRef = None,
    country: Country = None,
    kind: Annotated[
        str | None, Query(description="school, college, department, office, hospital or centre.")
    ] = None,
) -> list[dict[str, Any]]:
    """Units by slug (as `accord units list --json`)."""
    return units.list_units(uow, q=q, institution=institution, country=country, kind=kind)


@router.get("/units/{ref}", response_model=schemas.UnitDetail, tags=["directory"], **DETAIL)
def show_unit(ref: str, uow: Uow, response: Response, history: History = False) -> dict[str, Any]:
    """One unit with its people and the agreements it owns."""
    return _tagged(units.show_unit(uow, ref=ref, history=history), response)


@router.get(
    "/people", response_model=list[schemas.Person], responses=responses(404), tags=["directory"]
)
def list_people(
    uow: Uow, q: Q = None, institution: InstitutionRef = None, country: Country = None
) -> list[dict[str, Any]]:
    """People by name (as `accord people list --json`)."""
    return people.list_people(uow, q=q, institution=institution, country=country)


@router.get("/people/{ref}", response_model=schemas.PersonDetail, tags=["directory"], **DETAIL)
def show_person(ref: str, uow: Uow, response: Response, history: History = False) -> dict[str, Any]:
    """One person."""
    return _tagged(people.show_person(uow, ref=ref, history=history), response)


@router.get(
    "/partnerships",
    response_model=list[schemas.Partnership],
    responses=responses(404),
    tags=["directory"],
)
def list_partnerships(
    uow: Uow,
    q: Q = None,
    institution: InstitutionRef = None,
    country: Annotated[str | None, Query(description="Only partners in this country.")] = None,
    kind: Annotated[str | None, Query(description="Only this partner kind.")] = None,
) -> list[dict[str, Any]]:
    """Partnerships by slug (as `accord partnerships list --json`)."""
    return partnership_views.list_partnerships(
        uow, q=q, institution=institution, country=country, kind=kind
    )


@router.get(
    "/partnerships/{ref}", response_model=schemas.PartnershipDetail, tags=["directory"], **DETAIL
)
def show_partnership(
    ref: str, uow: Uow, response: Response, history: History = False
) -> dict[str, Any]:
    """One partnership with its agreements, milestones and meetings."""
    return _tagged(partnership_views.show_partnership(uow, ref=ref, history=history), response)

"""`GET /api/v1/health`: the process answers and reaches its database (compose's health check)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import text

from api.deps import Uow
from api.problems import responses

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str


@router.get("/health", response_model=Health, responses=responses())
def health(uow: Uow) -> Health:
    """`ok` once a query on the database has answered."""
    uow.conn.execute(text("SELECT 1"))
    return Health(status="ok")

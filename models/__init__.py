"""SQLAlchemy 2.x tables of Accord, and the engine and session factory."""

from models.db import make_engine, session_factory
from models.tables import (
    Agreement,
    AgreementEvent,
    AgreementKind,
    AgreementParty,
    AgreementTerm,
    Base,
    Initiative,
    Institution,
    Milestone,
    OutboxMessage,
    Partnership,
    Person,
    Signatory,
    Source,
    Unit,
)

__all__ = [
    "Agreement",
    "AgreementEvent",
    "AgreementKind",
    "AgreementParty",
    "AgreementTerm",
    "Base",
    "Initiative",
    "Institution",
    "Milestone",
    "OutboxMessage",
    "Partnership",
    "Person",
    "Signatory",
    "Source",
    "Unit",
    "make_engine",
    "session_factory",
]

"""SQLAlchemy 2.x tables of Accord, by capability, and the engine and session factory.

Importing the package imports every table, as the ORM needs to resolve relationships.
"""

from models.accounts import ApiToken, AuditEntry, AuthSession, LoginFailure, User, UserUnit
from models.agreements import Agreement, AgreementEvent, AgreementParty, AgreementTerm, Signatory
from models.base import (
    AgreementKind,
    Base,
    InstitutionKind,
    JSONType,
    UTCDateTime,
    enum_type,
    table_of,
    utcnow,
)
from models.db import make_engine, session_factory
from models.directory import (
    DirectoryChange,
    Initiative,
    Institution,
    Milestone,
    Partnership,
    Person,
    Source,
    Unit,
)
from models.followups import AgreementNote, FollowUp
from models.notices import (
    DeadLetter,
    Meeting,
    Notification,
    OutboxMessage,
    ReminderDefault,
    ReminderPolicy,
)

__all__ = [
    "Agreement",
    "AgreementEvent",
    "AgreementKind",
    "AgreementNote",
    "AgreementParty",
    "AgreementTerm",
    "ApiToken",
    "AuditEntry",
    "AuthSession",
    "Base",
    "DeadLetter",
    "DirectoryChange",
    "FollowUp",
    "Initiative",
    "Institution",
    "InstitutionKind",
    "JSONType",
    "LoginFailure",
    "Meeting",
    "Milestone",
    "Notification",
    "OutboxMessage",
    "Partnership",
    "Person",
    "ReminderDefault",
    "ReminderPolicy",
    "Signatory",
    "Source",
    "UTCDateTime",
    "Unit",
    "User",
    "UserUnit",
    "enum_type",
    "make_engine",
    "session_factory",
    "table_of",
    "utcnow",
]

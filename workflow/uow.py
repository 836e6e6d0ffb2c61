"""Unit of work: one transaction per use case, rolled back unless explicitly committed."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session


class UnitOfWork:
    """A Session for reads and ORM writes, and its Connection for Core statements."""

    session: Session
    conn: Connection

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._committed = False

    def __enter__(self) -> UnitOfWork:
        self.session = Session(self.engine, expire_on_commit=False, autoflush=False)
        self.conn = self.session.connection()
        self._committed = False
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._committed:
            self.session.rollback()
        self.session.close()

    @property
    def dialect(self) -> str:
        """The database's dialect name (sqlite, postgresql)."""
        return self.engine.dialect.name

    def commit(self) -> None:
        """Commit everything this unit of work did, at once."""
        self.session.commit()
        self._committed = True

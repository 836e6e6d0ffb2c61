"""Unit of work: one transaction per use case, rolled back unless explicitly committed."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session


class UnitOfWork:
    """A Connection in one transaction for Core statements, and a Session on it for ORM work.

    The Session is made on first use only: the one-move hot path issues Core statements and never
    pays for it. Both always share the one connection and transaction, so ORM writes (flushed)
    and Core writes commit together in `commit()`, or are all rolled back on leaving the block.
    """

    conn: Connection

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._committed = False
        self._session: Session | None = None

    def __enter__(self) -> UnitOfWork:
        self._session = None
        self._committed = False
        self.conn = self.engine.connect()
        try:
            self.conn.begin()
        except BaseException:
            self.conn.close()
            raise
        return self

    @property
    def session(self) -> Session:
        """The ORM Session of this unit of work, on its connection and inside its transaction."""
        if self._session is None:
            # rollback_only: the Session flushes into our transaction and rolls it back on
            # error, but committing it is ours (see commit()).
            self._session = Session(
                bind=self.conn,
                expire_on_commit=False,
                autoflush=False,
                join_transaction_mode="rollback_only",
            )
        return self._session

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if not self._committed:
                if self._session is not None:
                    self._session.rollback()
                self.conn.rollback()
        finally:
            if self._session is not None:
                self._session.close()
            self.conn.close()

    @property
    def dialect(self) -> str:
        """The database's dialect name (sqlite, postgresql)."""
        return self.engine.dialect.name

    def commit(self) -> None:
        """Commit everything this unit of work did, at once."""
        if self._session is not None:
            self._session.commit()  # flushes; the transaction itself is committed just below
        self.conn.commit()
        self._committed = True

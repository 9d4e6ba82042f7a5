"""Data access for invoices and the gap-free yearly invoice counter."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.models import Invoice, InvoiceCounter
from app.models.base import utcnow
from app.repos.sql import dialect_insert


class InvoiceRepo:
    def __init__(self, session: Session) -> None:
        self.session = session

    def next_number(self, year: int) -> int:
        """Take the year's next invoice number inside the caller's transaction.

        One upsert on the counter row: it holds the row lock until commit, and a rollback undoes
        the increment too, so numbers never skip (a sequence would leave gaps).
        """
        table = InvoiceCounter.__table__
        stmt = dialect_insert(self.session, InvoiceCounter).values(year=year, last_number=1)
        stmt = stmt.on_conflict_do_update(
            index_elements=["year"], set_={"last_number": table.c.last_number + 1}
        ).returning(table.c.last_number)
        return int(self.session.execute(stmt).scalar_one())

    def find_by_sale(self, sale_id: int) -> Invoice | None:
        return self.session.scalars(select(Invoice).where(Invoice.sale_id == sale_id)).one_or_none()

    def mark_cancelled(self, sale_id: int) -> None:
        """The one change an issued invoice admits."""
        self.session.execute(
            update(Invoice)
            .where(Invoice.sale_id == sale_id, Invoice.cancelled_at.is_(None))
            .values(cancelled_at=utcnow())
            .execution_options(synchronize_session=False)
        )

"""Data access for invoices and the gap-free yearly invoice counter."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Integer, String, bindparam, cast, func, insert, literal, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import ReturningInsert

from app.models import Invoice, InvoiceCounter
from app.models.base import utcnow
from app.repos.sql import dialect_insert, is_postgresql, table_of


def _issue() -> ReturningInsert[Any]:
    """PostgreSQL, built once: bump the counter of :invoice_year in a CTE and insert the invoice (the
    other columns are the statement's parameters) numbered as invoice_number does."""
    counters = table_of(InvoiceCounter)
    year = bindparam("invoice_year", type_=Integer)
    upsert = postgresql.insert(counters).values(year=year, last_number=1)
    counter = (
        upsert.on_conflict_do_update(index_elements=["year"], set_={"last_number": counters.c.last_number + 1})
        .returning(counters.c.last_number)
        .cte("counter")
    )
    digits = cast(counter.c.last_number, String)
    # As invoice_number: at least six digits, never cut.
    padded = func.lpad(digits, func.greatest(6, func.length(digits)), "0")
    number = select(literal("INV-") + cast(year, String) + literal("-") + padded).scalar_subquery()
    invoices = table_of(Invoice)
    return insert(invoices).add_cte(counter).values(number=number).returning(invoices.c.number)


_ISSUE = _issue()


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

    def issue(self, year: int, invoice: Mapping[str, Any]) -> str:
        """Take the year's next number and insert the invoice under it (`invoice`: every column but
        `number`); the number, as `invoice_number` formats it.

        On PostgreSQL one statement (_ISSUE), so the counter row is locked only from this statement to
        the commit right after it; elsewhere two.
        """
        if not is_postgresql(self.session):
            taken = invoice_number(year, self.next_number(year))
            self.session.execute(insert(Invoice).values(number=taken, **invoice))
            return taken
        return str(self.session.execute(_ISSUE, {"invoice_year": year, **invoice}).scalar_one())

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


def invoice_number(year: int, number: int) -> str:
    """INV-<year>-<number, at least six digits>."""
    return f"INV-{year}-{number:06d}"

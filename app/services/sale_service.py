"""Sales after checkout: history, one sale, cancellations and the admin status flow."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from app.cache import keys, stock
from app.extensions import db
from app.models import Sale
from app.models.sale import SaleStatus
from app.repos.invoice_repo import InvoiceRepo
from app.repos.sale_repo import SaleFilter, SaleRepo
from app.repos.stock_repo import StockRepo
from app.security.rbac import Caller
from app.services.unit_of_work import UnitOfWork
from app.utils.exceptions import InvalidTransition, SaleNotFound
from app.utils.pagination import Page

# Where each status may go through the admin PATCH.
TRANSITIONS: dict[SaleStatus, tuple[SaleStatus, ...]] = {
    SaleStatus.PENDING: (SaleStatus.PAID, SaleStatus.CANCELLED),
    SaleStatus.PAID: (SaleStatus.SHIPPED, SaleStatus.CANCELLED),
    SaleStatus.SHIPPED: (SaleStatus.DELIVERED,),
    SaleStatus.DELIVERED: (),
    SaleStatus.CANCELLED: (),
}
# Who may cancel, from which statuses.
OWNER_CANCELLABLE = (SaleStatus.PENDING,)
ADMIN_CANCELLABLE = (SaleStatus.PENDING, SaleStatus.PAID)


def _visible_to(caller: Caller, sale_id: int, sale: Sale | None) -> Sale:
    """`sale` if the caller owns it or is an admin. Raises SaleNotFound (also for another user's sale)."""
    if sale is None or (sale.user_id != caller.id and not caller.is_admin):
        raise SaleNotFound(f"Sale {sale_id} not found.")
    return sale


class SaleService:
    def __init__(self, session: Session | None = None) -> None:
        self.session = session or db.session()
        self.uow = UnitOfWork(self.session)
        self.sales = SaleRepo(self.session)
        self.stock = StockRepo(self.session)
        self.invoices = InvoiceRepo(self.session)

    def list_own(self, *, caller: Caller, page: int, per_page: int) -> Page[Sale]:
        """The caller's own sales, newest first."""
        return self.sales.list_for_user(caller.id, page, per_page)

    def get(self, *, caller: Caller, sale_id: int) -> Sale:
        """One sale for its owner or an admin. Raises SaleNotFound (also for another user's sale)."""
        return _visible_to(caller, sale_id, self.sales.get(sale_id))

    def admin_list(
        self,
        *,
        page: int,
        per_page: int,
        status: SaleStatus | None = None,
        user_id: int | None = None,
        date_from: date | None = None,
        date_to: date | None = None,
    ) -> Page[Sale]:
        """All sales, newest first, filtered."""
        where = SaleFilter(status=status, user_id=user_id, date_from=date_from, date_to=date_to)
        return self.sales.list_page(where, page, per_page)

    def cancel(self, *, caller: Caller, sale_id: int) -> Sale:
        """Cancel a sale and return its stock, exactly once. Owners may cancel while pending,
        admins while pending or paid. Raises SaleNotFound, InvalidTransition."""
        with self.uow:
            sale = _visible_to(caller, sale_id, self.sales.get_for_update(sale_id))
            self._cancel(sale, ADMIN_CANCELLABLE if caller.is_admin else OWNER_CANCELLABLE)
        return self._reload(sale)

    def change_status(self, *, sale_id: int, status: SaleStatus) -> Sale:
        """Admin: move a sale along pending → paid → shipped → delivered, or cancel it before
        shipping (its stock returns). Raises SaleNotFound, InvalidTransition."""
        with self.uow:
            sale = self.sales.get_for_update(sale_id)
            if sale is None:
                raise SaleNotFound(f"Sale {sale_id} not found.")
            current = SaleStatus(sale.status)
            if status not in TRANSITIONS[current]:
                raise InvalidTransition(f"A {current} sale cannot become {status}.", current_status=current)
            if status == SaleStatus.CANCELLED:
                self._cancel(sale, ADMIN_CANCELLABLE)
            elif not self.sales.set_status(sale, status):
                raise InvalidTransition("The sale changed meanwhile; reload it and try again.")
            else:
                self.uow.after_commit(lambda: keys.bump(keys.ADMIN_SALES))
                self.uow.commit()
        return self._reload(sale)

    def _cancel(self, sale: Sale, allowed: tuple[SaleStatus, ...]) -> None:
        """Cancel `sale`, loaded with its row lock (so its status holds), and restock its lines.

        Lock order, as checkout's: the products (id order), then the day totals (set_status), so a
        cancellation and a checkout of the same product wait for each other instead of deadlocking.
        """
        if sale.status not in allowed:
            raise InvalidTransition(f"A {sale.status} sale cannot be cancelled here.", current_status=sale.status)
        quantities = {line.product_id: line.quantity for line in sale.lines}
        locked = self.stock.lock_products(list(quantities))  # id order, as checkout takes them
        # The status condition is part of the UPDATE too, so of two racing cancels one restocks.
        if not self.sales.set_status(sale, SaleStatus.CANCELLED):
            raise InvalidTransition("The sale changed meanwhile; reload it and try again.")
        self.stock.restock(quantities)
        before = {row.id: row.stock for row in locked}
        after = {row.id: row.stock + quantities[row.id] for row in locked}
        self.uow.after_commit(lambda: stock.changed(before, after))
        self.invoices.mark_cancelled(sale.id)
        self.uow.after_commit(lambda: keys.bump(keys.ADMIN_SALES))
        self.uow.commit()

    def _reload(self, sale: Sale) -> Sale:
        self.session.refresh(sale)
        if sale.invoice is not None:
            self.session.refresh(sale.invoice)
        return sale

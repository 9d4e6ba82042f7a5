"""Reading invoices: owners and admins only (checkout issues them, see checkout_service)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.extensions import db
from app.models import Invoice
from app.repos.invoice_repo import InvoiceRepo
from app.repos.sale_repo import SaleRepo
from app.security.rbac import Caller
from app.utils.exceptions import InvoiceNotFound


class InvoiceService:
    def __init__(self, session: Session | None = None) -> None:
        self.session = session or db.session()
        self.invoices = InvoiceRepo(self.session)
        self.sales = SaleRepo(self.session)

    def for_sale(self, *, caller: Caller, sale_id: int) -> Invoice:
        """The invoice of a sale, for its owner or an admin. Raises InvoiceNotFound (also for another user's)."""
        sale = self.sales.get(sale_id)
        invoice = None if sale is None else self.invoices.find_by_sale(sale_id)
        if sale is None or invoice is None or (sale.user_id != caller.id and not caller.is_admin):
            raise InvoiceNotFound(f"No invoice for sale {sale_id}.")
        return invoice

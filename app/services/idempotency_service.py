"""Housekeeping of checkout idempotency keys: each is kept its TTL, then purged in small batches."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session

from app.config import ShopSettings
from app.extensions import db
from app.models.base import utcnow
from app.repos.sale_repo import SaleRepo
from app.services.unit_of_work import UnitOfWork


class IdempotencyKeyService:
    def __init__(
        self, shop: ShopSettings, session: Session | None = None, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.shop = shop
        self.session = session or db.session()
        self.uow = UnitOfWork(self.session)
        self.sales = SaleRepo(self.session)
        self.clock = clock

    def purge_expired(self, *, batch_size: int) -> int:
        """Delete the keys older than `idempotency_key_ttl`; returns how many.

        Each batch of `batch_size` is its own short transaction, so checkouts running meanwhile wait
        on no lock for long (and a key one of them is taking over is skipped). The cutoff is fixed at
        the start, so the loop ends however fast keys arrive.
        """
        cutoff = self.clock() - self.shop.idempotency_key_ttl
        purged = 0
        while True:
            with self.uow:
                deleted = self.sales.delete_expired_keys(cutoff, batch_size)
                self.uow.commit()
            purged += deleted
            if deleted < batch_size:
                return purged

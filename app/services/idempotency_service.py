"""Housekeeping of checkout idempotency keys: each is kept its TTL, then purged in small batches."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from app.extensions import db
from app.repos.sale_repo import SaleRepo


class IdempotencyKeyService:
    def __init__(self, session: Session | None = None) -> None:
        self.session = session or db.session()
        self.sales = SaleRepo(self.session)

    def purge_expired(self, *, now: datetime, ttl: timedelta, batch_size: int) -> int:
        """Delete the keys created more than `ttl` before `now`; returns how many.

        Each batch of `batch_size` is its own short transaction, so checkouts running meanwhile wait
        on no lock for long (and a key one of them is taking over is skipped). The cutoff is fixed at
        the start, so the loop ends however fast keys arrive.
        """
        cutoff = now - ttl
        purged = 0
        while True:
            deleted = self.sales.delete_expired_keys(cutoff, batch_size)
            self.session.commit()
            purged += deleted
            if deleted < batch_size:
                return purged

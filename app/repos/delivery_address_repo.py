"""Data access for delivery addresses, always scoped to their owner."""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import bindparam, exists, func, select, update
from sqlalchemy.orm import Session

from app.models import DeliveryAddress, User
from app.models.delivery_address import SNAPSHOT_FIELDS
from app.repos.sql import table_of


class ShipTo(NamedTuple):
    """An owned address as a sale keeps it (a snapshot), with its owner's name and email: what a checkout
    puts on the sale and its invoice."""

    address_id: int
    address: dict[str, str | None]
    buyer_name: str
    buyer_email: str


# Checkout's first statement, built once (see stock_repo); plain columns, no ORM object to load.
_addresses, _users = table_of(DeliveryAddress), table_of(User)
_SHIP_TO = (
    select(_addresses.c.id, *(_addresses.c[field] for field in SNAPSHOT_FIELDS), _users.c.name, _users.c.email)
    .join(_users, _users.c.id == _addresses.c.user_id)
    .where(_addresses.c.id == bindparam("address_id"), _addresses.c.user_id == bindparam("user_id"))
)


class DeliveryAddressRepo:
    def __init__(self, session: Session) -> None:
        self.session = session

    def list_for_user(self, user_id: int) -> list[DeliveryAddress]:
        """The user's addresses: the default first, then oldest first."""
        return list(
            self.session.scalars(
                select(DeliveryAddress)
                .where(DeliveryAddress.user_id == user_id)
                .order_by(DeliveryAddress.is_default.desc(), DeliveryAddress.id)
            )
        )

    def get_owned(self, user_id: int, address_id: int) -> DeliveryAddress | None:
        """The address if it exists and belongs to `user_id`; None otherwise (the two are not told apart)."""
        return self.session.scalars(
            select(DeliveryAddress).where(DeliveryAddress.id == address_id, DeliveryAddress.user_id == user_id)
        ).one_or_none()

    def ship_to(self, user_id: int, address_id: int) -> ShipTo | None:
        """As get_owned, with the owner's name and email read in the same statement."""
        row = self.session.execute(_SHIP_TO, {"address_id": address_id, "user_id": user_id}).one_or_none()
        if row is None:
            return None
        address_id, *snapshot, name, email = row
        return ShipTo(address_id, dict(zip(SNAPSHOT_FIELDS, snapshot, strict=True)), name, email)

    def lock_address_book(self, user_id: int) -> None:
        """Lock the owner's row until commit, so two changes to one address book run one after the other.

        FOR NO KEY UPDATE: foreign-key checks of rows that reference the user (carts, sales) still pass.
        """
        self.session.execute(select(User.id).where(User.id == user_id).with_for_update(key_share=True))

    def count_for_user(self, user_id: int) -> int:
        return int(self.session.scalar(select(func.count()).where(DeliveryAddress.user_id == user_id)) or 0)

    def has_default(self, user_id: int) -> bool:
        return bool(
            self.session.scalar(
                select(exists().where(DeliveryAddress.user_id == user_id, DeliveryAddress.is_default.is_(True)))
            )
        )

    def clear_default(self, user_id: int, *, keep: int | None = None) -> None:
        """Unset the user's default address (other than `keep`), before another one becomes default."""
        statement = update(DeliveryAddress).where(
            DeliveryAddress.user_id == user_id, DeliveryAddress.is_default.is_(True)
        )
        if keep is not None:
            statement = statement.where(DeliveryAddress.id != keep)
        self.session.execute(statement.values(is_default=False))

    def add(self, address: DeliveryAddress) -> None:
        self.session.add(address)

    def delete(self, address: DeliveryAddress) -> None:
        self.session.delete(address)

"""A user's own delivery addresses: at most one default, at most `ShopSettings.max_addresses`."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.config import ShopSettings
from app.extensions import db
from app.models import DeliveryAddress
from app.repos.delivery_address_repo import DeliveryAddressRepo
from app.security.rbac import Caller
from app.services.unit_of_work import UnitOfWork
from app.utils.exceptions import AddressBookFull, AddressNotFound, DefaultAddressConflict


def _default_conflict() -> DefaultAddressConflict:
    return DefaultAddressConflict("Another request changed your default address at the same time; try again.")


_CONSTRAINTS = {"uq_delivery_addresses_user_id_default": _default_conflict}


class DeliveryAddressService:
    def __init__(self, shop: ShopSettings, session: Session | None = None) -> None:
        self.shop = shop
        self.session = session or db.session()
        self.uow = UnitOfWork(self.session)
        self.addresses = DeliveryAddressRepo(self.session)

    def list_addresses(self, *, caller: Caller) -> list[DeliveryAddress]:
        return self.addresses.list_for_user(caller.id)

    def get_address(self, *, caller: Caller, address_id: int) -> DeliveryAddress:
        """The caller's own address. Raises AddressNotFound, also for another user's address."""
        address = self.addresses.get_owned(caller.id, address_id)
        if address is None:
            raise AddressNotFound("No such address in your address book.")
        return address

    def add_address(
        self,
        *,
        caller: Caller,
        recipient_name: str,
        line1: str,
        city: str,
        postal_code: str,
        country: str,
        line2: str | None = None,
        state: str | None = None,
        phone: str | None = None,
        is_default: bool = False,
    ) -> DeliveryAddress:
        """Add an address. It becomes the default when asked to, or when the caller has none yet.

        Raises AddressBookFull when the caller already has `max_addresses` addresses.
        """
        with self.uow:
            self._check_room(caller)
            if is_default:
                self.addresses.clear_default(caller.id)
            elif not self.addresses.has_default(caller.id):
                is_default = True
            address = DeliveryAddress(
                user_id=caller.id,
                recipient_name=recipient_name,
                line1=line1,
                line2=line2,
                city=city,
                state=state,
                postal_code=postal_code,
                country=country,
                phone=phone,
                is_default=is_default,
            )
            self.addresses.add(address)
            self.uow.commit(_CONSTRAINTS)
        return address

    def _check_room(self, caller: Caller) -> None:
        # Counted under the owner's row lock: two adds at once cannot both see room for the last one.
        self.addresses.lock_address_book(caller.id)
        limit = self.shop.max_addresses
        if self.addresses.count_for_user(caller.id) >= limit:
            raise AddressBookFull(
                f"Your address book holds at most {limit} addresses; delete one to add another.",
                max_addresses=limit,
            )

    def update_address(self, *, caller: Caller, address_id: int, **changes: str | bool | None) -> DeliveryAddress:
        """Change fields of the caller's own address; is_default=true moves the default here."""
        with self.uow:
            address = self.get_address(caller=caller, address_id=address_id)
            if changes.get("is_default") is True:
                self.addresses.clear_default(caller.id, keep=address.id)
            for field, value in changes.items():
                setattr(address, field, value)
            self.uow.commit(_CONSTRAINTS)
        return address

    def delete_address(self, *, caller: Caller, address_id: int) -> None:
        """Delete the caller's own address. Past sales keep their snapshot of it."""
        with self.uow:
            address = self.get_address(caller=caller, address_id=address_id)
            self.addresses.delete(address)
            self.uow.commit()

"""A user's own delivery addresses: at most one default."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.extensions import db
from app.models import DeliveryAddress
from app.repos.delivery_address_repo import DeliveryAddressRepo
from app.services.constraints import translate_constraints
from app.utils.exceptions import AddressBookFull, Conflict, NotFound


class AddressNotFound(NotFound):
    code = "address_not_found"
    title = "Address not found"


class DefaultAddressConflict(Conflict):
    code = "default_address_conflict"
    title = "Default address changed concurrently"


def _default_conflict() -> DefaultAddressConflict:
    return DefaultAddressConflict("Another request changed your default address at the same time; try again.")


_CONSTRAINTS = {"uq_delivery_addresses_user_id_default": _default_conflict}


class DeliveryAddressService:
    def __init__(self, session: Session | None = None) -> None:
        self.session = session or db.session()
        self.addresses = DeliveryAddressRepo(self.session)

    def list_addresses(self, *, user_id: int) -> list[DeliveryAddress]:
        return self.addresses.list_for_user(user_id)

    def get_address(self, *, user_id: int, address_id: int) -> DeliveryAddress:
        """The user's own address. Raises AddressNotFound, also for another user's address."""
        address = self.addresses.get_owned(user_id, address_id)
        if address is None:
            raise AddressNotFound("No such address in your address book.")
        return address

    def add_address(
        self,
        *,
        user_id: int,
        max_addresses: int,
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
        """Add an address. It becomes the default when asked to, or when the user has none yet.
        Raises AddressBookFull when the user already has `max_addresses`."""
        self._check_room(user_id, max_addresses)
        if is_default:
            self.addresses.clear_default(user_id)
        elif not self.addresses.has_default(user_id):
            is_default = True
        address = DeliveryAddress(
            user_id=user_id,
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
        with translate_constraints(self.session, _CONSTRAINTS):
            self.session.commit()
        return address

    def _check_room(self, user_id: int, max_addresses: int) -> None:
        # Counted under the owner's row lock: two adds at once cannot both see room for the last one.
        self.addresses.lock_address_book(user_id)
        if self.addresses.count_for_user(user_id) >= max_addresses:
            raise AddressBookFull(
                f"Your address book holds at most {max_addresses} addresses; delete one to add another.",
                max_addresses=max_addresses,
            )

    def update_address(self, *, user_id: int, address_id: int, **changes: str | bool | None) -> DeliveryAddress:
        """Change fields of the user's own address; is_default=true moves the default here."""
        address = self.get_address(user_id=user_id, address_id=address_id)
        if changes.get("is_default") is True:
            self.addresses.clear_default(user_id, keep=address.id)
        for field, value in changes.items():
            setattr(address, field, value)
        with translate_constraints(self.session, _CONSTRAINTS):
            self.session.commit()
        return address

    def delete_address(self, *, user_id: int, address_id: int) -> None:
        """Delete the user's own address. Past sales keep their snapshot of it."""
        address = self.get_address(user_id=user_id, address_id=address_id)
        self.addresses.delete(address)
        self.session.commit()

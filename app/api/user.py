"""/api/users: Users, authentication, profiles and delivery addresses."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_jwt_extended import get_jwt
from flask_limiter.util import get_remote_address

from app.api import shop
from app.api.spec import Blueprint
from app.extensions import limiter
from app.models import DeliveryAddress, User
from app.models.user import Role
from app.schemas.delivery_address import DeliveryAddressIn, DeliveryAddressOut, DeliveryAddressPatch
from app.schemas.user import (
    LoginIn,
    LoginOut,
    ProfilePatch,
    RegisterIn,
    TokenPairOut,
    UserAdminPatch,
    UserOut,
    UserPage,
    UserQuery,
)
from app.security.decorators import current_caller, current_login, refresh_token_required
from app.security.rbac import ANY_ROLE
from app.services.auth_service import AuthService, Login, TokenPair
from app.services.delivery_address_service import DeliveryAddressService
from app.services.user_service import UserService
from app.utils.pagination import Page

bp = Blueprint(
    "users",
    __name__,
    url_prefix="/api/users",
    description="Users, authentication, profiles and delivery addresses",
)


# Every login attempt counts per client address. Failures also count per account (or per device
# token, with a valid one): AuthService checks those, around the password check (app/security/login_limits.py).
login_per_ip = limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], key_func=get_remote_address)
register_per_ip = limiter.limit(lambda: current_app.config["RATELIMIT_REGISTER"], key_func=get_remote_address)


# Token responses must not be kept by browsers or proxies (RFC 6749 section 5.1).
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}

ADDRESS_ID = "$response.body#/id"
ADDRESS_LINKS = {
    "CheckoutToIt": {"operationId": "checkout", "requestBody": {"delivery_address_id": ADDRESS_ID}},
    "GetAddress": {"operationId": "getAddress", "parameters": {"address_id": ADDRESS_ID}},
    "UpdateAddress": {"operationId": "updateAddress", "parameters": {"address_id": ADDRESS_ID}},
    "DeleteAddress": {"operationId": "deleteAddress", "parameters": {"address_id": ADDRESS_ID}},
}
USER_ID = "$response.body#/id"
USER_LINKS = {
    "GetUser": {"operationId": "getUser", "parameters": {"user_id": USER_ID}},
    "UpdateUser": {"operationId": "updateUser", "parameters": {"user_id": USER_ID}},
    "DeactivateUser": {"operationId": "deactivateUser", "parameters": {"user_id": USER_ID}},
}
ADDRESS_EXAMPLE = {
    "recipient_name": "Ada Lovelace",
    "line1": "12 St James's Square",
    "line2": "Flat 1",
    "city": "London",
    "postal_code": "SW1Y 4JH",
    "country": "GB",
    "phone": "+44 20 7946 0000",
    "is_default": True,
}
LOGIN_EXAMPLE = {"email": "ada@example.com", "password": "correct horse battery staple"}


def _session_id() -> str:
    return current_login()[1]


# Registration and login


@bp.post("/register")
@register_per_ip
@bp.arguments(RegisterIn, example=LOGIN_EXAMPLE | {"name": "Ada Lovelace"})
@bp.response(201, UserOut)
@bp.links(201, **USER_LINKS)
@bp.errors(409, 422, 429)
def register(data: dict[str, Any]) -> User:
    """Create a customer account (the role is always customer)."""
    return UserService().register(**data)


@bp.post("/login")
@login_per_ip
@bp.arguments(LoginIn, example=LOGIN_EXAMPLE)
@bp.response(200, LoginOut)
@bp.errors(401, 422, 429)
def login(data: dict[str, Any]) -> tuple[Login, dict[str, str]]:
    """Exchange email and password for an access and a refresh token, and a device token.

    A wrong email and a wrong password get the same 401. Limits (429 with Retry-After): attempts per
    client address (RATELIMIT_LOGIN), and failed attempts per account (RATELIMIT_LOGIN_ACCOUNT), which
    strangers can exhaust. Keep the returned `device_token` and send it with your next logins: a login
    with a valid device token of the account is not blocked by the account's limit, only by the
    token's own limit of failures (RATELIMIT_LOGIN_DEVICE).
    """
    return AuthService().login(**data), NO_STORE


@bp.post("/refresh")
@refresh_token_required
@bp.doc(security=[{"bearerAuth": []}])
@bp.response(200, TokenPairOut)
@bp.errors(401)
def refresh_tokens() -> tuple[TokenPair, dict[str, str]]:
    """Send the refresh token as the Bearer token: get a new pair; the one used is spent.

    Presenting a spent refresh token again revokes the whole login.
    """
    user_id, session_id = current_login()
    pair = AuthService().refresh(user_id=user_id, session_id=session_id, jti=str(get_jwt()["jti"]))
    return pair, NO_STORE


@bp.post("/logout")
@bp.auth(*ANY_ROLE)
@bp.response(204)
def logout() -> None:
    """Revoke this login: its access and refresh tokens stop working, on every server."""
    AuthService().logout(session_id=_session_id())


# Own profile


@bp.get("/me")
@bp.auth(*ANY_ROLE)
@bp.response(200, UserOut)
def get_profile() -> User:
    """Your own profile."""
    return UserService().get(user_id=current_caller().id)


@bp.patch("/me")
@bp.auth(*ANY_ROLE)
@bp.arguments(
    ProfilePatch,
    examples={
        "name": {"summary": "Change your name", "value": {"name": "Ada King"}},
        "password": {
            "summary": "Change your password (every other login of yours ends)",
            "value": {"password": "an even better passphrase", "current_password": "correct horse battery staple"},
        },
    },
)
@bp.response(200, UserOut)
@bp.errors(409, 422, 429)
def update_profile(data: dict[str, Any]) -> User:
    """Change your name, email or password. Email and password need current_password.

    A wrong current_password (422) and an email another account has (409 email_taken) count against
    your account's limit of failed logins; beyond it, 429. A new password follows the password rules
    and signs out every other login of yours (this one stays); your device tokens are forgotten.
    """
    return UserService().update_profile(caller=current_caller(), session_id=_session_id(), **data)


# Own delivery addresses


@bp.get("/me/addresses")
@bp.auth(*ANY_ROLE)
@bp.response(200, DeliveryAddressOut(many=True))
def list_addresses() -> list[DeliveryAddress]:
    """Your delivery addresses, the default first."""
    return DeliveryAddressService(shop()).list_addresses(caller=current_caller())


@bp.post("/me/addresses")
@bp.auth(*ANY_ROLE)
@bp.arguments(DeliveryAddressIn, example=ADDRESS_EXAMPLE)
@bp.response(201, DeliveryAddressOut)
@bp.links(201, **ADDRESS_LINKS)
@bp.errors(409, 422)
def create_address(data: dict[str, Any]) -> DeliveryAddress:
    """Add an address; your first one becomes the default, is_default=true moves the default.

    At most MAX_ADDRESSES_PER_USER (default 20) per user: beyond, 409 `address_book_full`.
    """
    return DeliveryAddressService(shop()).add_address(caller=current_caller(), **data)


@bp.get("/me/addresses/<id:address_id>")
@bp.auth(*ANY_ROLE)
@bp.response(200, DeliveryAddressOut)
@bp.errors(404)
def get_address(address_id: int) -> DeliveryAddress:
    """One of your addresses (another user's is a 404)."""
    return DeliveryAddressService(shop()).get_address(caller=current_caller(), address_id=address_id)


@bp.patch("/me/addresses/<id:address_id>")
@bp.auth(*ANY_ROLE)
@bp.arguments(DeliveryAddressPatch, example={"line2": "Flat 2", "is_default": True})
@bp.response(200, DeliveryAddressOut)
@bp.errors(404, 409, 422)
def update_address(data: dict[str, Any], address_id: int) -> DeliveryAddress:
    """Change one of your addresses."""
    return DeliveryAddressService(shop()).update_address(caller=current_caller(), address_id=address_id, **data)


@bp.delete("/me/addresses/<id:address_id>")
@bp.auth(*ANY_ROLE)
@bp.response(204)
@bp.errors(404)
def delete_address(address_id: int) -> None:
    """Delete one of your addresses; past sales keep their copy of it."""
    DeliveryAddressService(shop()).delete_address(caller=current_caller(), address_id=address_id)


# Admin: users


@bp.get("")
@bp.auth(Role.ADMIN)
@bp.arguments(UserQuery, location="query")
@bp.response(200, UserPage)
@bp.errors(422)
def list_users(query: dict[str, Any]) -> Page[User]:
    """All users, by id; search with q (email or name), filter by role and is_active."""
    return UserService().list_users(**query)


@bp.get("/<id:user_id>")
@bp.auth(Role.ADMIN)
@bp.response(200, UserOut)
@bp.errors(404)
def get_user(user_id: int) -> User:
    """One user."""
    return UserService().get(user_id=user_id)


@bp.patch("/<id:user_id>")
@bp.auth(Role.ADMIN)
@bp.arguments(UserAdminPatch, example={"name": "Ada, Countess of Lovelace", "role": "customer", "is_active": True})
@bp.response(200, UserOut)
@bp.errors(404, 409, 422)
def update_user(data: dict[str, Any], user_id: int) -> User:
    """Change a user's role, active flag or name; effective on their next request.

    The last active admin cannot be demoted or deactivated (409 last_admin).
    """
    return UserService().admin_update(user_id=user_id, **data)


@bp.delete("/<id:user_id>")
@bp.auth(Role.ADMIN)
@bp.response(204)
@bp.errors(404, 409)
def deactivate_user(user_id: int) -> None:
    """Deactivate a user (their history is kept); their tokens stop working at once."""
    UserService().deactivate(user_id=user_id)

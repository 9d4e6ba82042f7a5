"""User and authentication DTOs, one per purpose.

Request bodies are InSchemas: a field the client may not set (role, is_active, id) is not declared
on them, so sending it is a 422 "Unknown field", never silently dropped or applied.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.models.user import Role
from app.schemas.base import Email, InSchema, PageQuery, Str, Text, UtcDateTime, page_of
from app.utils.password_rules import common_problem, password_problem

PASSWORD_MIN = 8
PASSWORD_MAX = 128
DEVICE_TOKEN_MAX = 128
PASSWORD_RULES = (
    f"{PASSWORD_MIN} to {PASSWORD_MAX} characters; not only whitespace, not one of the 20,000 most common "
    "passwords, and not the account's email address (or its part before the @) or name. A password that breaks "
    "a rule is a 422 whose `errors.password` names the rule."
)


def _not_common(password: str) -> None:
    problem = common_problem(password)
    if problem is not None:
        raise ValidationError(problem)


def _new_password(*, description: str, **kwargs: Any) -> Text:
    return Text(
        load_only=True,
        validate=[validate.Length(PASSWORD_MIN, PASSWORD_MAX), _not_common],
        metadata={"format": "password", "description": f"{description} {PASSWORD_RULES}"},
        **kwargs,
    )


def _not_personal(data: dict[str, Any]) -> None:
    """The password is not the email or the name given alongside it."""
    if "password" not in data:
        return
    problem = password_problem(data["password"], email=data.get("email"), name=data.get("name"))
    if problem is not None:
        raise ValidationError(problem, "password")


def _name(**kwargs: Any) -> Str:
    return Str(validate=validate.Length(1, 120), **kwargs)


class RegisterIn(InSchema):
    email = Email(required=True)
    password = _new_password(required=True, description="The account's password.")
    name = _name(required=True)

    @validates_schema
    def password_not_personal(self, data: dict[str, Any], **_kwargs: Any) -> None:
        _not_personal(data)


class LoginIn(InSchema):
    email = Email(required=True)
    # Length only: the password rules apply when a password is chosen, so older accounts still sign in.
    password = Text(
        required=True, load_only=True, validate=validate.Length(1, PASSWORD_MAX), metadata={"format": "password"}
    )
    device_token = Text(
        load_only=True,
        validate=validate.Length(1, DEVICE_TOKEN_MAX),
        metadata={
            "description": "The `device_token` an earlier successful login of this account returned. With a valid "
            "one, this login is not blocked by the account's limit of failed logins (strangers guessing the "
            "password cannot lock you out); it counts against the token's own, smaller limit instead. Unknown, "
            "expired or another account's tokens are ignored."
        },
    )


class ProfilePatch(InSchema):
    """Change your own name, email or password; email and password need `current_password`."""

    name = _name()
    email = Email()
    password = _new_password(description="The new password (needs current_password).")
    current_password = Text(
        load_only=True,
        validate=validate.Length(1, PASSWORD_MAX),
        metadata={
            "format": "password",
            "description": "Your current password, to change the email or the password. A wrong one, and an "
            "email another account has (409 email_taken), count against your account's limit of failed logins "
            "(429 beyond it).",
        },
    )

    @validates_schema
    def current_password_for_credentials(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if ("password" in data or "email" in data) and "current_password" not in data:
            raise ValidationError("Required to change the email or the password.", "current_password")

    @validates_schema
    def password_not_personal(self, data: dict[str, Any], **_kwargs: Any) -> None:
        _not_personal(data)


class UserAdminPatch(InSchema):
    role = fields.Enum(Role, by_value=True)
    is_active = fields.Boolean()
    name = _name()


class UserQuery(PageQuery):
    q = Str(validate=validate.Length(max=100), metadata={"description": "Part of the email or name (empty: all)"})
    role = fields.Enum(Role, by_value=True)
    is_active = fields.Boolean()


class UserOut(Schema):
    id = fields.Integer(required=True)
    email = fields.String(required=True)
    name = fields.String(required=True)
    role = fields.String(required=True, metadata={"enum": [role.value for role in Role]})
    is_active = fields.Boolean(required=True)
    created_at = UtcDateTime(required=True)
    updated_at = UtcDateTime(required=True)


UserPage = page_of(UserOut)


class TokenPairOut(Schema):
    access_token = fields.String(required=True)
    refresh_token = fields.String(required=True)
    token_type = fields.String(required=True, metadata={"enum": ["Bearer"]})
    expires_in = fields.Integer(required=True, metadata={"description": "Seconds until the access token expires"})


class LoginOut(TokenPairOut):
    user = fields.Nested(UserOut, required=True)
    device_token = fields.String(
        required=True,
        metadata={
            "description": "Opaque and long-lived (DEVICE_TOKEN_DAYS, default 180 days): keep it on this device and "
            "send it with this account's next logins. The one sent is returned while valid, otherwise a new one."
        },
    )

"""User and authentication DTOs, one per purpose.

Request bodies are InSchemas: a field the client may not set (role, is_active, id) is not declared
on them, so sending it is a 422 "Unknown field", never silently dropped or applied.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.models.user import Role
from app.schemas.base import Email, InSchema, PageQuery, Str, Text, UtcDateTime, page_of

PASSWORD_MIN = 8
PASSWORD_MAX = 128


def _new_password(*, description: str | None = None, **kwargs: Any) -> Text:
    metadata: dict[str, Any] = {"format": "password"}
    if description:
        metadata["description"] = description
    return Text(load_only=True, validate=validate.Length(PASSWORD_MIN, PASSWORD_MAX), metadata=metadata, **kwargs)


def _name(**kwargs: Any) -> Str:
    return Str(validate=validate.Length(1, 120), **kwargs)


class RegisterIn(InSchema):
    email = Email(required=True)
    password = _new_password(required=True)
    name = _name(required=True)


class LoginIn(InSchema):
    email = Email(required=True)
    password = Text(
        required=True, load_only=True, validate=validate.Length(1, PASSWORD_MAX), metadata={"format": "password"}
    )


class ProfilePatch(InSchema):
    """Change your own name, email or password; email and password need `current_password`."""

    name = _name()
    email = Email()
    password = _new_password(description="The new password (needs current_password).")
    current_password = Text(load_only=True, validate=validate.Length(1, PASSWORD_MAX), metadata={"format": "password"})

    @validates_schema
    def current_password_for_credentials(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if ("password" in data or "email" in data) and "current_password" not in data:
            raise ValidationError("Required to change the email or the password.", "current_password")


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

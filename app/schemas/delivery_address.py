"""Delivery address DTOs: in, patch and out, with ISO 3166-1 alpha-2 country codes."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from app.schemas.base import InSchema, Str, UtcDateTime

# ISO 3166-1 alpha-2: the 249 officially assigned codes.
ISO_COUNTRY_CODES = frozenset(
    """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ
    BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ
    CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ
    DE DJ DK DM DO DZ
    EC EE EG EH ER ES ET
    FI FJ FK FM FO FR
    GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY
    HK HM HN HR HT HU
    ID IE IL IM IN IO IQ IR IS IT
    JE JM JO JP
    KE KG KH KI KM KN KP KR KW KY KZ
    LA LB LC LI LK LR LS LT LU LV LY
    MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ
    NA NC NE NF NG NI NL NO NP NR NU NZ
    OM
    PA PE PF PG PH PK PL PM PN PR PS PT PW PY
    QA
    RE RO RS RU RW
    SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ
    TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ
    UA UG UM US UY UZ
    VA VC VE VG VI VN VU
    WF WS
    YE YT
    ZA ZM ZW
    """.split()  # noqa: SIM905 - a row per letter reads better than 249 quoted strings
)


class CountryCode(Str):
    """An ISO 3166-1 alpha-2 country code; accepted in any case, stored upper-case."""

    default_error_messages = {"country": "Must be an ISO 3166-1 alpha-2 country code, such as US or DE."}

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"pattern": "^[A-Za-z]{2}$", "enum": sorted(ISO_COUNTRY_CODES), "example": "US"}
        super().__init__(metadata=metadata | kwargs.pop("metadata", {}), **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        code = super()._deserialize(value, attr, data, **kwargs).upper()
        if code not in ISO_COUNTRY_CODES:
            raise self.make_error("country")
        return code


def _required(max_length: int) -> Str:
    return Str(required=True, validate=validate.Length(1, max_length))


def _optional(max_length: int) -> Str:
    return Str(allow_none=True, validate=validate.Length(max=max_length))


class DeliveryAddressIn(InSchema):
    recipient_name = _required(120)
    line1 = _required(200)
    line2 = _optional(200)
    city = _required(100)
    state = _optional(100)
    postal_code = _required(20)
    country = CountryCode(required=True)
    phone = _optional(32)
    is_default = fields.Boolean(
        load_default=False,
        metadata={"description": "Make this the default address (the previous default stops being one)."},
    )


class DeliveryAddressPatch(InSchema):
    recipient_name = Str(validate=validate.Length(1, 120))
    line1 = Str(validate=validate.Length(1, 200))
    line2 = _optional(200)
    city = Str(validate=validate.Length(1, 100))
    state = _optional(100)
    postal_code = Str(validate=validate.Length(1, 20))
    country = CountryCode()
    phone = _optional(32)
    is_default = fields.Boolean()


class AddressSnapshotOut(Schema):
    """An address as written: a saved address, or the copy a sale and its invoice keep."""

    recipient_name = fields.String(required=True)
    line1 = fields.String(required=True)
    line2 = fields.String(allow_none=True)
    city = fields.String(required=True)
    state = fields.String(allow_none=True)
    postal_code = fields.String(required=True)
    country = fields.String(required=True)
    phone = fields.String(allow_none=True)


class DeliveryAddressOut(AddressSnapshotOut):
    id = fields.Integer(required=True)
    is_default = fields.Boolean(required=True)
    created_at = UtcDateTime(required=True)
    updated_at = UtcDateTime(required=True)

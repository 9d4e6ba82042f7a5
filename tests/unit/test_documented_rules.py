"""Every value the OpenAPI patterns describe is accepted by the field that documents it.

The patterns are what a client (or a schema-driven fuzzer) reads; if one admitted a value the field
rejects, the document would promise something the API does not keep.
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import validate

from app.schemas.base import (
    EMAIL_PATTERN,
    MONEY_PATTERN,
    NON_BLANK_TEXT_PATTERN,
    TEXT_PATTERN,
    Email,
    Money,
    Str,
)
from app.schemas.product import ProductIn

RULES = settings(max_examples=150, deadline=None)


@RULES
@given(st.from_regex(MONEY_PATTERN, fullmatch=True))
def test_documented_money_is_accepted(text: str) -> None:
    assert Money().deserialize(text) >= 0


@RULES
@given(st.from_regex(EMAIL_PATTERN, fullmatch=True).filter(lambda e: len(e) <= 254))
def test_documented_emails_are_accepted(address: str) -> None:
    assert Email().deserialize(address) == address.lower()


@RULES
@given(st.from_regex(NON_BLANK_TEXT_PATTERN, fullmatch=True).filter(lambda t: len(t) <= 64))
def test_documented_non_blank_text_is_accepted(text: str) -> None:
    assert Str(validate=validate.Length(1, 64)).deserialize(text) == text.strip()


@RULES
@given(st.from_regex(TEXT_PATTERN, fullmatch=True))
def test_documented_text_is_accepted(text: str) -> None:
    assert Str().deserialize(text) == text.strip()


@RULES
@given(
    st.from_regex(ProductIn().fields["image_url"].metadata["pattern"], fullmatch=True).filter(lambda u: len(u) <= 2048)
)
def test_documented_image_urls_are_accepted(url: str) -> None:
    assert ProductIn().fields["image_url"].deserialize(url) == url


def test_blank_and_nul_text_is_outside_the_documented_patterns() -> None:
    assert not re.fullmatch(NON_BLANK_TEXT_PATTERN, "   ")
    assert not re.fullmatch(TEXT_PATTERN, "a\x00b")
    assert not re.fullmatch(MONEY_PATTERN, "1.005")

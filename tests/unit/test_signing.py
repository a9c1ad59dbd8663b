"""kit.signing: HMAC tokens with an expiry, bound to a purpose; context.UrlSigner on top of it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from expensehub.documents.context import UrlSigner, read_download_token
from expensehub.kit.signing import TokenError, TokenExpired, make_token, read_token

SECRET = b"s3cret-for-tests"


def test_round_trip() -> None:
    token = make_token(SECRET, "p", ["12", "7", "abcdef"], 1_000)
    assert read_token(SECRET, "p", token, now=999, arity=3) == ["12", "7", "abcdef"]


def test_expired_at_and_after_expiry() -> None:
    token = make_token(SECRET, "p", ["1"], 1_000)
    for now in (1_000, 1_001, 10**9):
        with pytest.raises(TokenExpired):
            read_token(SECRET, "p", token, now=now, arity=1)


def test_other_secret_purpose_or_arity_is_invalid() -> None:
    token = make_token(SECRET, "p", ["1", "2"], 10**10)
    with pytest.raises(TokenError) as info:
        read_token(b"other", "p", token, now=0, arity=2)
    assert not isinstance(info.value, TokenExpired)
    with pytest.raises(TokenError):
        read_token(SECRET, "q", token, now=0, arity=2)
    with pytest.raises(TokenError):
        read_token(SECRET, "p", token, now=0, arity=1)


def test_altered_fields_are_invalid_even_when_expired() -> None:
    token = make_token(SECRET, "p", ["10", "20"], 1_000)
    fields = token.split(".")
    for i, replacement in ((0, "11"), (1, "21"), (2, "99999999")):
        altered = fields.copy()
        altered[i] = replacement
        with pytest.raises(TokenError) as info:
            read_token(SECRET, "p", ".".join(altered), now=5_000, arity=2)
        # an altered token is never reported as merely expired
        assert not isinstance(info.value, TokenExpired)


@given(st.text(max_size=600))
def test_garbage_never_validates(garbage: str) -> None:
    with pytest.raises(TokenError):
        read_token(SECRET, "p", garbage, now=0, arity=3)


@given(st.integers(min_value=0, max_value=200), st.integers(min_value=0, max_value=255))
def test_any_flipped_character_is_invalid(position: int, value: int) -> None:
    token = make_token(SECRET, "p", ["123", "456", "0123456789abcdef"], 10**10)
    index = position % len(token)
    replacement = chr(48 + value % 75)
    if token[index] == replacement:
        return
    altered = token[:index] + replacement + token[index + 1 :]
    with pytest.raises(TokenError):
        read_token(SECRET, "p", altered, now=0, arity=3)


def test_fields_are_checked_when_signing() -> None:
    with pytest.raises(ValueError):
        make_token(SECRET, "p", ["a.b"], 10)
    with pytest.raises(ValueError):
        make_token(b"", "p", ["1"], 10)


def test_url_signer_binds_document_company_and_content() -> None:
    signer = UrlSigner(secret=SECRET, base_url="https://x.test", ttl=900, now=1_000)
    url = signer.url(document_id=5, company_id=9, sha256="ab" * 32)
    assert url.startswith("https://x.test/files/")
    token = url.rsplit("/", 1)[-1]
    grant = read_download_token(SECRET, token, now=1_899)
    assert (grant.document_id, grant.company_id, grant.sha256_prefix) == (5, 9, "ab" * 8)
    with pytest.raises(TokenExpired):
        read_download_token(SECRET, token, now=1_900)
    inline = signer.url(document_id=5, company_id=9, sha256="ab" * 32, inline=True)
    assert inline.endswith("?disposition=inline")

"""Pure webhook rules: retry schedule, target URL checks, version mapping, signatures, verification."""

from __future__ import annotations

import asyncio
import base64
import ipaddress
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from expensehub.client import WebhookVerificationError, check_challenge, verify_webhook
from expensehub.versions import VERSIONS
from expensehub.webhooks import rules, signing
from expensehub.webhooks.delivery import BlockedTarget, SafeResolver

T0 = datetime(2026, 1, 1, tzinfo=UTC)

# --- retry schedule -----------------------------------------------------------------------------


def test_nominal_schedule_is_exponential_then_capped() -> None:
    delays = [rules.retry_delay(n, draw=0.0) for n in range(1, rules.MAX_ATTEMPTS)]
    assert delays[:4] == [15.0, 30.0, 60.0, 120.0]
    assert max(delays) == 4 * 3600
    assert delays == sorted(delays)
    assert len(delays) == 19  # 20 attempts: the first, then 19 retries


def test_twenty_attempts_fit_in_48_hours_even_with_full_jitter() -> None:
    nominal = sum(rules.retry_delay(n, draw=0.0) for n in range(1, rules.MAX_ATTEMPTS))
    longest = sum(rules.retry_delay(n, draw=1.0) for n in range(1, rules.MAX_ATTEMPTS))
    assert 39 * 3600 < nominal < 41 * 3600
    assert longest < 48 * 3600


@given(st.integers(min_value=1, max_value=19), st.floats(min_value=0, max_value=1))
def test_jitter_stretches_by_at_most_15_percent(n: int, draw: float) -> None:
    base = rules.retry_delay(n, draw=0.0)
    assert base <= rules.retry_delay(n, draw=draw) <= base * 1.15 + 1e-9


def test_scale_shrinks_waits_and_zero_means_at_once() -> None:
    assert rules.retry_delay(3, draw=0.5, scale=0.0) == 0.0
    assert rules.retry_delay(3, draw=0.0, scale=0.5) == 30.0


def test_attempts_start_at_one() -> None:
    with pytest.raises(ValueError):
        rules.retry_delay(0, draw=0.0)


def test_after_attempt_outcomes() -> None:
    ok = rules.after_attempt(success=True, attempts_made=1, first_attempt_at=T0, now=T0, draw=0)
    assert ok == rules.Outcome("delivered")
    retry = rules.after_attempt(success=False, attempts_made=1, first_attempt_at=T0, now=T0, draw=0)
    assert retry == rules.Outcome("pending", T0 + timedelta(seconds=15))
    last = rules.after_attempt(success=False, attempts_made=20, first_attempt_at=T0, now=T0, draw=0)
    assert last.status == "failed"
    nineteenth = rules.after_attempt(success=False, attempts_made=19, first_attempt_at=T0, now=T0, draw=0)
    assert nineteenth.status == "pending"


def test_gives_up_when_the_next_attempt_would_leave_the_window() -> None:
    late = T0 + timedelta(hours=47, minutes=59)
    outcome = rules.after_attempt(success=False, attempts_made=5, first_attempt_at=T0, now=late, draw=0)
    assert outcome.status == "failed"
    early = T0 + timedelta(hours=1)
    outcome = rules.after_attempt(success=False, attempts_made=5, first_attempt_at=T0, now=early, draw=0)
    assert outcome.status == "pending"


def test_whole_schedule_simulated_ends_with_twenty_attempts_within_48_hours() -> None:
    now, attempts = T0, 0
    while True:
        attempts += 1
        outcome = rules.after_attempt(
            success=False, attempts_made=attempts, first_attempt_at=T0, now=now, draw=1
        )
        if outcome.status == "failed":
            break
        assert outcome.next_attempt_at is not None
        now = outcome.next_attempt_at
    assert attempts == 20
    assert now - T0 < timedelta(hours=48)


@pytest.mark.parametrize(
    ("status", "ok"),
    [(200, True), (204, True), (299, True), (301, False), (404, False), (500, False), (None, False)],
)
def test_only_2xx_acknowledges(status: int | None, ok: bool) -> None:
    assert rules.is_success(status) is ok


# --- delivery order and parking -----------------------------------------------------------------


def _fail(order: str, attempts: int, streak: int, **kw: object) -> rules.Outcome:
    args: dict[str, object] = {
        "order": order,
        "attempts_made": attempts,
        "first_attempt_at": T0,
        "streak": streak,
        "failing_since": T0,
        "now": T0,
        "draw": 0.0,
        "park_after": 8,
        **kw,
    }
    return rules.after_failure(**args)  # type: ignore[arg-type]


def test_strict_retries_on_the_lanes_schedule_then_parks() -> None:
    # the wait follows the lane's streak, not the head's own attempts
    assert _fail("strict", 1, 1) == rules.Outcome("pending", T0 + timedelta(seconds=15))
    assert _fail("strict", 1, 9) == rules.Outcome("pending", T0 + timedelta(seconds=15 * 2**8))
    assert _fail("strict", 7, 7).status == "pending"
    assert _fail("strict", 8, 8) == rules.Outcome("parked")
    assert _fail("strict", 3, 3, park_after=3) == rules.Outcome("parked")


def test_strict_disables_when_the_lane_failed_twenty_times_in_a_row() -> None:
    assert _fail("strict", 4, 20) == rules.Outcome("failed", disable=True)
    assert _fail("strict", 8, 20) == rules.Outcome("failed", disable=True)  # disabling wins over parking
    assert _fail("strict", 8, 20, park_after=20) == rules.Outcome("failed", disable=True)
    assert _fail("strict", 19, 19, park_after=20).status == "pending"
    # a streak that started recently does not disable, however old the head event is
    assert _fail("strict", 2, 2, first_attempt_at=T0 - timedelta(days=5)).status == "pending"
    # nor does an old streak: a lane idle for days after parking its head fails once more
    idle = _fail("strict", 1, 9, failing_since=T0 - timedelta(days=4))
    assert idle == rules.Outcome("pending", T0 + timedelta(seconds=15 * 2**8))


def test_independent_retries_each_delivery_on_its_own_schedule() -> None:
    assert _fail("independent", 1, 40) == rules.Outcome("pending", T0 + timedelta(seconds=15))
    assert _fail("independent", 12, 12).status == "pending"  # never parked
    # out of attempts: failed; the subscription is disabled only if nothing succeeded since its first
    assert _fail("independent", 20, 20) == rules.Outcome("failed", disable=True)
    later = T0 + timedelta(minutes=5)
    assert _fail("independent", 20, 3, failing_since=later) == rules.Outcome("failed", disable=False)


# --- target URLs --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "0.0.0.0",
        "100.64.0.1",
        "224.0.0.1",
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "::",
    ],
)
def test_non_public_addresses_are_refused(address: str) -> None:
    assert rules.address_problem(address) is not None


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_pass(address: str) -> None:
    assert rules.address_problem(address) is None


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("ftp://example.com/x", "http or https"),
        ("example.com/hook", "http or https"),
        ("https:///nohost", "host"),
        ("https://user:pw@example.com/", "credentials"),
        ("https://example.com:0/", "port 0"),
        ("https://exa mple.com/", "without spaces"),
        ("https://example.com:99999/", "URL"),
        ("https://" + "a" * 2100 + ".com/", "2048"),
        ("http://127.0.0.1:8000/hook", "loopback"),
        ("http://[::1]/hook", "loopback"),
        ("http://10.0.0.5/hook", "private"),
        ("http://169.254.169.254/latest/meta-data", "link-local"),
        ("http://localhost/hook", "loopback"),
        ("http://LOCALHOST./hook", "loopback"),
        ("http://api.localhost/hook", "loopback"),
    ],
)
def test_bad_target_urls(url: str, fragment: str) -> None:
    problem = rules.url_problem(url, allow_private=False)
    assert problem is not None
    assert fragment in problem


# Numeric and shortened host forms: what each one means (inet_aton, as resolvers and browsers read it).
HOST_FORMS = [
    ("127.0.0.1", "127.0.0.1"),
    ("127.1", "127.0.0.1"),
    ("127.0.1", "127.0.0.1"),
    ("2130706433", "127.0.0.1"),
    ("0x7f000001", "127.0.0.1"),
    ("017700000001", "127.0.0.1"),
    ("0x7f.1", "127.0.0.1"),
    ("0X7F.0.0.1", "127.0.0.1"),
    ("0177.0.0.1", "127.0.0.1"),
    ("0177.1", "127.0.0.1"),
    ("127.000.000.001", "127.0.0.1"),
    ("127.0.0.1.", "127.0.0.1"),
    ("0", "0.0.0.0"),
    ("0x", "0.0.0.0"),
    ("10.1", "10.0.0.1"),
    ("192.168.1", "192.168.0.1"),
    ("0xa9.0xfe.0xa9.0xfe", "169.254.169.254"),
    ("2852039166", "169.254.169.254"),
    ("[::1]", "::1"),
    ("[0:0:0:0:0:0:0:1]", "::1"),
    ("[::ffff:127.0.0.1]", "::ffff:7f00:1"),
    ("[::ffff:7f00:1]", "::ffff:7f00:1"),
    ("[fe80::1%eth0]", "fe80::1"),
    ("134744072", "8.8.8.8"),
    ("0x8.0x8.0x8.0x8", "8.8.8.8"),
]


@pytest.mark.parametrize(("host", "address"), HOST_FORMS)
def test_numeric_hosts_normalise_to_the_address_they_mean(host: str, address: str) -> None:
    assert rules.normalise_host(host) == ipaddress.ip_address(address)


@pytest.mark.parametrize(
    ("host", "name"), [("Example.COM.", "example.com"), ("127.0.0.1.nip.io", "127.0.0.1.nip.io")]
)
def test_names_normalise_to_lower_case_without_the_trailing_dot(host: str, name: str) -> None:
    assert rules.normalise_host(host) == name


@pytest.mark.parametrize(
    "host",
    ["999.1.1.1", "1.2.3.4.5", "1.2.3.08", "256.0.0.1", "4294967296", "1.16777216", "example.123",
     "%31%32%37.0.0.1", "a..b", "[::1::2]", "[12345::]"],
)  # fmt: skip
def test_hosts_that_only_look_numeric_are_refused(host: str) -> None:
    with pytest.raises(rules.BadHost):
        rules.normalise_host(host)
    assert rules.url_problem(f"http://{host}/", allow_private=True) is not None


@pytest.mark.parametrize(
    ("address", "fragment"),
    [
        ("2002:7f00:1::", "loopback"),  # 6to4 of 127.0.0.1
        ("2002:a00:1::", "private"),  # 6to4 of 10.0.0.1
        ("64:ff9b::a9fe:a9fe", "link-local"),  # NAT64 of 169.254.169.254
        ("::127.0.0.1", "loopback"),  # IPv4-compatible
    ],
)
def test_ipv6_addresses_are_judged_with_the_ipv4_they_carry(address: str, fragment: str) -> None:
    problem = rules.address_problem(address)
    assert problem is not None
    assert fragment in problem


def test_public_ipv4_inside_ipv6_passes_where_the_ipv6_form_is_routable() -> None:
    assert rules.address_problem("::ffff:8.8.8.8") is None
    assert rules.address_problem("2002:808:808::") is None


def test_good_target_urls_and_the_private_switch() -> None:
    assert rules.url_problem("https://hooks.example.com/factorial?x=1", allow_private=False) is None
    assert rules.url_problem("http://93.184.216.34:8080/", allow_private=False) is None
    assert rules.url_problem("http://127.0.0.1:8000/hook", allow_private=True) is None
    assert rules.url_problem("http://localhost/hook", allow_private=True) is None
    # the scheme rule holds even when private targets are allowed
    assert rules.url_problem("file:///etc/passwd", allow_private=True) is not None


def test_truncate() -> None:
    assert rules.truncate(None, 5) is None
    assert rules.truncate("abc", 5) == "abc"
    assert rules.truncate("abcdefgh", 5) == "abcd…"


def test_resolver_drops_loopback_names_unless_allowed() -> None:
    async def resolve(allow: bool) -> list[str]:
        resolver = SafeResolver(allow)
        try:
            return [r["host"] for r in await resolver.resolve("localhost", 80)]
        finally:
            await resolver.close()

    with pytest.raises(BlockedTarget, match="loopback"):
        asyncio.run(resolve(False))
    assert "127.0.0.1" in asyncio.run(resolve(True))


# --- versions and the catalog -------------------------------------------------------------------


def test_every_subscription_version_renders_with_a_registered_one() -> None:
    registered = tuple(VERSIONS)
    mapping = {v: rules.render_version(v, registered) for v in rules.API_VERSIONS}
    assert mapping == {
        "2025-10-01": "2026-04-01",
        "2026-01-01": "2026-04-01",
        "2026-04-01": "2026-04-01",
        "2026-07-01": "2026-10-01",
        "2026-10-01": "2026-10-01",
    }
    # ids are strings from 2026-07-01 on, as Factorial's changelog says
    assert all(VERSIONS[mapping[v]].string_ids == (v >= "2026-07-01") for v in rules.API_VERSIONS)
    assert rules.render_version("2030-01-01", registered) == "2026-10-01"


def test_catalog_has_factorials_types_and_ours() -> None:
    factorial = {name for name, e in rules.EVENT_TYPES.items() if e.factorial}
    ours = {name for name, e in rules.EVENT_TYPES.items() if not e.factorial}
    assert {
        "expenses/expensable/bulk_set_to_paid",
        "expenses/expensable/update_reimbursable_amount",
        "finance/cost_center/create",
        "finance/cost_center/edit",
        "finance/cost_center/delete",
        "documents/document/create",
        "documents/folder/create",
        "companies/legal_entity/create",
        "employees/employee/create_with_contract",
        "employees/employee/update",
        "employees/employee/terminate",
        "employees/employee/unterminate",
    } <= factorial
    assert ours == {
        "expenses/expensable/create",
        "expenses/expensable/update",
        "expenses/expensable/submit",
        "expenses/expensable/approve",
        "expenses/expensable/reject",
        "companies/legal_entity/update",
        "banking/card_payment/create",
        "banking/transaction/create",
        "reconciliation/run/completed",
        "reports/report_run/completed",
    }
    for name, event in rules.EVENT_TYPES.items():
        namespace, _resource, _action = name.split("/")
        assert event.resource.startswith(namespace + "/")


# --- signatures ---------------------------------------------------------------------------------

# The Standard Webhooks reference test vector.
VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_TS = 1614265330
VECTOR_BODY = b'{"test": 2432232314}'
VECTOR_SIG = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
OTHER_SECRET = "whsec_" + base64.b64encode(b"another secret, 32 bytes long!!!").decode()


def test_sign_matches_the_standard_webhooks_vector() -> None:
    key = signing.secret_key(VECTOR_SECRET)
    assert signing.sign(key, VECTOR_ID, VECTOR_TS, VECTOR_BODY) == VECTOR_SIG


def test_generated_secrets_are_whsec_base64_of_32_bytes_and_unique() -> None:
    a, b = signing.generate_secret(), signing.generate_secret()
    assert a.startswith("whsec_")
    assert a != b
    assert len(base64.b64decode(a.removeprefix("whsec_"))) == 32


@pytest.mark.parametrize("bad", ["whsec_", "whsec_***", "whsec_abc"])
def test_bad_secrets_are_refused(bad: str) -> None:
    with pytest.raises(signing.InvalidSecret):
        signing.secret_key(bad)


def _headers(sig: str, ts: int = VECTOR_TS, msg_id: str = VECTOR_ID) -> dict[str, str]:
    return {"Webhook-Id": msg_id, "Webhook-Timestamp": str(ts), "Webhook-Signature": sig}


def test_verify_accepts_the_vector_and_returns_the_body() -> None:
    assert verify_webhook(VECTOR_BODY, _headers(VECTOR_SIG), VECTOR_SECRET, now=VECTOR_TS) == {
        "test": 2432232314
    }
    assert verify_webhook(VECTOR_BODY.decode(), _headers(VECTOR_SIG), VECTOR_SECRET, now=VECTOR_TS + 299)


@pytest.mark.parametrize(
    ("body", "headers", "secret", "now"),
    [
        (b'{"test": 2432232315}', _headers(VECTOR_SIG), VECTOR_SECRET, VECTOR_TS),  # altered body
        (VECTOR_BODY, _headers(VECTOR_SIG), OTHER_SECRET, VECTOR_TS),  # another secret
        (VECTOR_BODY, _headers(VECTOR_SIG), VECTOR_SECRET, VECTOR_TS + 301),  # too old
        (VECTOR_BODY, _headers(VECTOR_SIG), VECTOR_SECRET, VECTOR_TS - 301),  # from the future
        (VECTOR_BODY, _headers(VECTOR_SIG, msg_id="msg_other"), VECTOR_SECRET, VECTOR_TS),  # other id
        (VECTOR_BODY, _headers(VECTOR_SIG.replace("v1,", "v2,")), VECTOR_SECRET, VECTOR_TS),  # other scheme
        (VECTOR_BODY, {"webhook-id": VECTOR_ID}, VECTOR_SECRET, VECTOR_TS),  # headers missing
        (VECTOR_BODY, _headers(VECTOR_SIG) | {"Webhook-Timestamp": "soon"}, VECTOR_SECRET, VECTOR_TS),
    ],
)
def test_verify_refuses(body: bytes, headers: dict[str, str], secret: str, now: int) -> None:
    with pytest.raises(WebhookVerificationError):
        verify_webhook(body, headers, secret, now=now)


def test_verify_with_two_signatures_and_two_secrets_during_rotation() -> None:
    old, new = signing.generate_secret(), signing.generate_secret()
    keys = [signing.secret_key(new), signing.secret_key(old)]
    header = signing.signature_header(keys, VECTOR_ID, VECTOR_TS, VECTOR_BODY)
    assert len(header.split(" ")) == 2
    for secret in (old, new, [signing.generate_secret(), new]):
        assert verify_webhook(VECTOR_BODY, _headers(header), secret, now=VECTOR_TS) == {"test": 2432232314}
    with pytest.raises(WebhookVerificationError):
        verify_webhook(VECTOR_BODY, _headers(header), signing.generate_secret(), now=VECTOR_TS)


def test_check_challenge() -> None:
    assert check_challenge({"X-Factorial-Wh-Challenge": "s3cret"}, "s3cret")
    assert not check_challenge({"X-Factorial-Wh-Challenge": "nope"}, "s3cret")
    assert not check_challenge({}, "s3cret")


def test_the_webhook_version_enum_is_stated_once_and_covers_the_registry() -> None:
    from typing import get_args

    from expensehub.versions import CURRENT, VERSIONS
    from expensehub.webhooks.schemas import ApiVersionName

    assert set(get_args(ApiVersionName)) == set(rules.API_VERSIONS)
    assert set(VERSIONS) <= set(rules.API_VERSIONS)
    assert rules.DEFAULT_API_VERSION == CURRENT
    # every requested version renders with a registered one
    assert {rules.render_version(v, tuple(VERSIONS)) for v in rules.API_VERSIONS} <= set(VERSIONS)

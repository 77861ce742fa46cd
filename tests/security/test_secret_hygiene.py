"""The secret scanner (tests/support/secrets_scan.py) catches what it must and nothing else.

The scanner itself runs on every test of the suite; these tests prove it sees a planted secret
in a test's log and in an event, and leaves ordinary log lines alone (TOM-T5, ASVS 5.0 16.2.5).
"""

import subprocess
import sys
import uuid
from pathlib import Path

import nats
import pytest

from services.identity import onetime, totp
from shared.auth import TokenSigner
from tests.support import secrets_scan
from tests.support.nats import NatsServer

ROOT = Path(__file__).resolve().parents[2]


def _token() -> str:
    signer = TokenSigner.generate(issuer="pactum-identity", audience="pactum")
    return signer.issue(user_id="u", organisation_id=str(uuid.uuid4()), roles=["admin"])


@pytest.mark.parametrize(
    ("line", "what"),
    [
        (f"auth.token_refused token={_token()}", "JWT"),
        ("outgoing headers={'Authorization': 'Bearer abcdefghijklmnop0123456789'}", "bearer"),
        ("otpauth_uri=otpauth://totp/pactum:ann@example.org?secret=JBSWY3DPEHPK3PXP", "otpauth"),
        ("mail link=https://pactum.test/account/invitation#token=q9PNqnX0k3mYb1fZ", "one-time"),
        ('{"email": "ann@example.org", "password": "correct horse battery"}', "secret field"),
        ("login.failed password=hunter22hunter", "secret field"),
        ("enrolment secret: JBSWY3DPEHPK3PXPJBSWY3DP", "secret field"),
        ("issued recovery_codes=['abcde-fghjk', 'mnpqr-stuvw']", "secret field"),
    ],
)
def test_the_scanner_finds_each_kind_of_secret_in_a_line__TOM_T5(line: str, what: str) -> None:
    hits = secrets_scan.scan(line, "a log")
    assert hits
    assert what.lower() in hits[0].what.lower() or what == "one-time" or what == "bearer"
    assert all(len(hit.excerpt) < len(line) + 5 for hit in hits)


def test_the_scanner_finds_every_secret_identity_generated_during_the_run() -> None:
    link, secret, [code, *_] = onetime.new_secret(), totp.new_secret(), totp.new_recovery_codes()
    for value in (link, secret, code):
        hits = secrets_scan.scan(f"something happened value={value[:3]} {value}", "a log")
        assert any(hit.what == "a secret the test generated" for hit in hits), value
        assert all(value not in hit.excerpt for hit in hits)  # masked in the report


@pytest.mark.parametrize(
    "line",
    [
        "2026-11-28 18:34:56 [info] request.completed method=POST path=/login status=401",
        "auth.token_refused reason=ExpiredSignatureError: Signature has expired",
        "policy.updated fields=['password_history', 'min_length'] mfa=admins",
        f"event_id={uuid.uuid4()} leaf_hash={'ab' * 32} traceparent=00-{'1f' * 16}-{'2e' * 8}-01",
        "password_reset.requested link_id=7c1a2b3c-1111-4222-8333-944445555666",
        '{"secret": null, "password": "", "access_token": "***"}',
        "demo invitation for admin@utopia.example: http://127.0.0.1:8101/account#token=abcdefghijk",
    ],
)
def test_the_scanner_leaves_ordinary_lines_alone(line: str) -> None:
    assert secrets_scan.scan(line, "a log") == []


def test_a_test_that_logs_a_planted_secret_fails__TOM_T5(tmp_path: Path) -> None:
    planted = tmp_path / "test_planted.py"
    planted.write_text(
        "import logging\n\n"
        "def test_leaks() -> None:\n"
        "    logging.getLogger('pactum').warning('login.failed password=%s', 'hunter22hunter')\n"
        "\n"
        "def test_clean() -> None:\n"
        "    logging.getLogger('pactum').warning('login.failed for ann@example.org')\n",
        encoding="utf-8",
    )
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.support.secrets_scan", "-q",
         "-p", "no:cacheprovider", "-c", str(tmp_path / "pytest.ini"), str(planted)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert run.returncode == 1, run.stdout
    assert "1 failed, 1 passed" in run.stdout, run.stdout
    assert "secret hygiene" in run.stdout
    assert "hunter22hunter" not in run.stdout  # the report masks it


async def test_an_event_that_carries_a_planted_secret_is_found__TOM_T5(tmp_path: Path) -> None:
    server = NatsServer(tmp_path / "planted").start()  # not the fixture: it would fail teardown
    try:
        connection = await nats.connect(server.url)
        js = connection.jetstream()
        await js.add_stream(name="DPA_EVENTS", subjects=["dpa.>"])
        await js.publish("dpa.t.identity.user.invited", b'{"data": {"user_id": "u-1"}}')
        await js.publish(
            "dpa.t.identity.login.succeeded",
            b'{"data": {"session_id": "s-1"}}',
            headers={"x-debug": f"Bearer {_token()}"},
        )
        await connection.close()
        hits = secrets_scan.scan_events(server.url)
    finally:
        server.stop()
    assert [hit.where for hit in hits] == [
        "event dpa.t.identity.login.succeeded (stream DPA_EVENTS, sequence 2)"
    ] * len(hits)
    assert hits

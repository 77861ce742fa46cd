"""The redaction processor keeps secrets out of every log line."""

from shared.logging import REDACTED, redact_secrets

JWT = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ1c2VyIn0.c2lnbmF0dXJlLWJ5dGVz"


def test_secret_named_fields_are_redacted_at_any_depth() -> None:
    event = redact_secrets(
        None,
        "info",
        {
            "event": "x",
            "password": "hunter2",
            "body": {"user": {"new_password": "p", "totp_code": "123456", "name": "Ann"}},
            "headers": [{"Authorization": "Bearer abc"}],
            "api_key": "k",
            "client_secret": "s",
        },
    )
    assert event["password"] == REDACTED
    assert event["body"]["user"] == {"new_password": REDACTED, "totp_code": REDACTED, "name": "Ann"}
    assert event["headers"] == [{"Authorization": REDACTED}]
    assert event["api_key"] == event["client_secret"] == REDACTED


def test_token_shaped_values_are_redacted_under_innocent_keys() -> None:
    event = redact_secrets(
        None, "info", {"event": f"got {JWT}", "detail": f"header was Bearer {JWT}", "n": 3}
    )
    assert JWT not in str(event)
    assert event["n"] == 3


def test_ordinary_fields_are_kept() -> None:
    event = redact_secrets(
        None, "info", {"event": "request.completed", "path": "/agreements", "status": 201}
    )
    assert event == {"event": "request.completed", "path": "/agreements", "status": 201}

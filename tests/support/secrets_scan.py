"""Secret hygiene across the whole test suite (issue 8, part 6): no secret in a log or an event.

A pytest plugin (registered in tests/conftest.py). What it scans:

- every test's captured stdout, stderr and log records, per phase (setup, call, teardown): the
  services' structlog lines, warnings, anything printed;
- every message of every JetStream stream of the test's nats-server, payload and headers, when
  the ``nats_server`` fixture ends (:func:`scan_events`): every event any service published.

What it looks for: JWTs, bearer credentials, ``otpauth://`` URIs, one-time links
(``#token=...``), password, secret, token and recovery-code fields with a value; and the exact
secrets the run generated: every password identity hashed, every TOTP secret,
recovery code, one-time link or refresh token and webhook secret (the generators are wrapped
while the tests run, see :func:`_instrument`). Wrong guesses are not remembered: a fuzzer guesses
with words that events carry for good reasons.

What it does not scan, on purpose: HTTP answers (the API hands out tokens and secrets to their
owner), the mail sink (an invitation mail carries its link), test code and assertions, and the
demo seed's console line that hands over a first admin's invitation link.

A hit fails the test (its phase becomes an error), naming the pattern and where, with the secret
masked.
"""

import asyncio
import re
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest

PATTERNS: dict[str, re.Pattern[str]] = {
    "JWT": re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
    "bearer credential": re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]{16,}"),
    "otpauth URI": re.compile(r"otpauth://\S+"),
    "one-time link": re.compile(r"#token=[A-Za-z0-9_-]{8,}"),
    "secret field": re.compile(
        r"(?i)[\"']?\b(password|new_password|current_password|secret|totp_secret|"
        r"refresh_token|access_token|recovery_codes?|delivery_key)\b[\"']?\s*[:=]\s*"
        r"(?!\s*(?:None|null|\[\]|\"\"|''|\*+|<redacted>|\[redacted\])[\s,}]|\s*$)"
        r"\[?\s*[\"']?[^\s\"',}\]]{6,}"
    ),
}

# Lines that carry a secret on purpose, to the console only (see the module docstring).
ALLOWED_LINES = (re.compile(r"^demo invitation for \S+: "),)

_lock = threading.Lock()
_remembered: set[str] = set()


def remember(*values: str) -> None:
    """Scan for these exact values too (a secret a test generated). Low-entropy values are
    skipped: a fuzzed password of eight zeros would match half the log."""
    with _lock:
        for value in values:
            if isinstance(value, str) and len(value) >= 8 and len(set(value)) >= 5:
                _remembered.add(value)


@dataclass(frozen=True)
class Hit:
    what: str
    where: str
    excerpt: str

    def __str__(self) -> str:
        return f"{self.what} in {self.where}: {self.excerpt}"


def _mask(line: str, secret: str) -> str:
    """The secret cut to its first characters, with up to 80 characters around it."""
    at = line.find(secret)
    shown = line[max(at - 80, 0) : at] + secret[:4] + "…" + line[at + len(secret) :][:80]
    return shown.replace(secret, "…")


def scan(text: str, where: str) -> list[Hit]:
    """Every secret in ``text`` (patterns and remembered values), masked."""
    hits = []
    with _lock:
        remembered = sorted(_remembered, key=len, reverse=True)
    for line in text.splitlines():
        if any(allowed.search(line) for allowed in ALLOWED_LINES):
            continue
        for what, pattern in PATTERNS.items():
            for found in pattern.finditer(line):
                hits.append(Hit(what, where, _mask(line.strip(), found.group(0))))
        for secret in remembered:
            if secret in line:
                hits.append(Hit("a secret the test generated", where, _mask(line.strip(), secret)))
    return hits


def redact(text: str) -> str:
    """``text`` with every line that holds a secret masked."""
    return "\n".join(
        hits[0].excerpt if (hits := scan(line, "")) else line for line in text.splitlines()
    )


# -- events ---------------------------------------------------------------------------------


async def stream_messages(url: str) -> list[tuple[str, str]]:
    """(where, text) of every message of every stream on the server at ``url``."""
    import nats
    from nats.js.errors import BadRequestError, NotFoundError

    connection = await nats.connect(url, connect_timeout=5, max_reconnect_attempts=1)
    try:
        js = connection.jetstream()
        found = []
        for stream in await js.streams_info():
            name = stream.config.name
            assert name is not None
            if not stream.state.messages:
                continue
            for sequence in range(max(stream.state.first_seq, 1), stream.state.last_seq + 1):
                try:
                    message = await js.get_msg(name, sequence)
                except (NotFoundError, BadRequestError):  # deleted, or gone meanwhile
                    continue
                headers = " ".join(f"{k}: {v}" for k, v in (message.headers or {}).items())
                payload = (message.data or b"").decode("utf-8", "replace")
                where = f"event {message.subject} (stream {name}, sequence {sequence})"
                found.append((where, f"{headers}\n{payload}"))
        return found
    finally:
        await connection.close()


def scan_events(url: str) -> list[Hit]:
    """Every secret in any event (payload or headers) on the nats-server at ``url``."""
    with ThreadPoolExecutor(max_workers=1) as pool:  # outside the test's event loop
        events = pool.submit(asyncio.run, stream_messages(url)).result(timeout=60)
    return [hit for where, text in events for hit in scan(text, where)]


# -- the plugin -----------------------------------------------------------------------------


def _wrap(
    owner: Any, name: str, remembers: Callable[[Any, tuple[Any, ...]], Iterable[str]]
) -> None:
    original = getattr(owner, name)

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        remember(*remembers(result, args + tuple(kwargs.values())))
        return result

    setattr(owner, name, wrapped)


def _instrument() -> None:
    """Remember every secret identity and the notifier generate or check during the run."""
    from services.identity import onetime, totp
    from services.identity.passwords import Passwords
    from services.notifier import webhook_signatures

    _wrap(onetime, "new_secret", lambda result, _: [result])
    _wrap(totp, "new_secret", lambda result, _: [result])
    _wrap(totp, "new_recovery_codes", lambda result, _: list(result))
    _wrap(webhook_signatures, "new_secret", lambda result, _: [result])
    _wrap(Passwords, "hash", lambda _, args: [a for a in args[1:] if isinstance(a, str)])


def pytest_configure(config: pytest.Config) -> None:
    _instrument()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    hits = [
        hit
        for name, content in report.sections
        if name.startswith("Captured") and name.endswith(report.when)
        for hit in scan(content, f"{name.lower()} of {item.nodeid}")
    ]
    if hits:  # the report shows the captured output: it gets the masked lines only
        report.sections = [(name, redact(content)) for name, content in report.sections]
    if hits and report.outcome != "failed":
        report.outcome = "failed"
        report.longrepr = "secret hygiene: a secret reached a log or the console\n" + "\n".join(
            str(hit) for hit in hits[:20]
        )
    return report

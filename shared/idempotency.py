"""Idempotent requests: a ``POST`` sent again with the same ``Idempotency-Key`` is answered, not
done again (the convention of Stripe's API and the IETF draft "The Idempotency-Key HTTP Header
Field").

An integrator whose ``POST /breaches`` timed out cannot know whether the breach was reported. It
sends the request again with the same key; the first answer comes back (with
``Idempotent-Replayed: true``) and nothing is stored, notified or emitted a second time.

The rules, for an authenticated ``POST`` that carries the header:

- the key is 1 to 255 visible ASCII characters, else 400;
- a key belongs to its caller (organisation, user and grant of the verified token): another
  caller's same key is another key;
- the same key with another request (method, path, query or body) answers 422;
- while the first request is still being handled, the same key answers 409 (retry later);
- an answer of 5xx is not kept: the request may be sent again with the same key and is handled;
- a key is kept 24 hours, then forgotten.

What is stored says little to someone who reads the database: the row is found by a hash of the
caller and the key, and the answer is encrypted (AES-GCM) with a key derived from the
idempotency key, which only the client holds. A grant token or webhook secret in an answer so
stays unreadable at rest.

Requests without the header, without a valid token (the route answers 401) or with another
method pass through untouched.
"""

import hashlib
import os
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import structlog
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Column, DateTime, LargeBinary, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import Field, SQLModel
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.auth import InvalidToken, TokenVerifier
from shared.moments import as_utc
from shared.problems import MEDIA_TYPE, problem_bytes

log = structlog.get_logger("pactum.idempotency")

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEPT_FOR = timedelta(hours=24)
MAX_KEY_LENGTH = 255
KEY_PATTERN = rf"^[\x21-\x7e]{{1,{MAX_KEY_LENGTH}}}$"
# Answer headers replayed with the body (the rest are the platform's own, set again anyway).
KEPT_HEADERS = (b"content-type", b"location")
PURGE_EVERY_SECONDS = 600.0


class IdempotentRequest(SQLModel, table=True):
    __tablename__ = "idempotent_request"

    # sha256 of the caller and the key: the key itself is not stored.
    id: str = Field(primary_key=True, max_length=64)
    # sha256 of method, path, query and body: "the same request".
    fingerprint: str = Field(max_length=64)
    status: int | None = None  # None while the first request is being handled
    answer: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    expires_at: datetime = Field(
        sa_column=Column(DateTime(timezone=True), nullable=False, index=True)
    )


def valid_key(key: str) -> bool:
    return 0 < len(key) <= MAX_KEY_LENGTH and all(0x21 <= ord(char) <= 0x7E for char in key)


def row_id(caller: str, key: str) -> str:
    return hashlib.sha256(f"{caller}\n{key}".encode()).hexdigest()


def fingerprint(method: str, path: str, query: bytes, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), query, body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def _cipher(caller: str, key: str) -> AESGCM:
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=caller.encode(), info=b"pactum idempotent answer"
    ).derive(key.encode())
    return AESGCM(derived)


def seal_answer(
    caller: str, key: str, status: int, headers: list[tuple[bytes, bytes]], body: bytes
) -> bytes:
    plain = orjson.dumps(
        {
            "status": status,
            "headers": [
                [name.decode("latin-1"), value.decode("latin-1")] for name, value in headers
            ],
            "body": body.decode("latin-1"),
        }
    )
    nonce = os.urandom(12)
    return nonce + _cipher(caller, key).encrypt(nonce, plain, None)


def open_answer(
    caller: str, key: str, sealed: bytes
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    plain = orjson.loads(_cipher(caller, key).decrypt(sealed[:12], sealed[12:], None))
    headers = [
        (name.encode("latin-1"), value.encode("latin-1")) for name, value in plain["headers"]
    ]
    return plain["status"], headers, plain["body"].encode("latin-1")


Refusal = tuple[int, str, str]  # status, code, detail

KEY_INVALID: Refusal = (
    400,
    "invalid_idempotency_key",
    f"The {HEADER} header must be 1 to 255 visible ASCII characters.",
)
KEY_REUSED: Refusal = (
    422,
    "idempotency_key_reused",
    f"This {HEADER} was used with another request: send a new key for a new request.",
)
IN_FLIGHT: Refusal = (
    409,
    "idempotency_in_flight",
    f"A request with this {HEADER} is still being handled: try again in a moment.",
)


async def _refuse(send: Send, scope: Scope, refusal: Refusal) -> None:
    status, code, detail = refusal
    body = problem_bytes(status, detail, code=code, path=scope.get("path", ""))
    await _answer(send, status, [(b"content-type", MEDIA_TYPE.encode())], body)


class IdempotentRequests:
    """ASGI middleware: the rules of this module, for every service that installs it."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        sessions: async_sessionmaker[AsyncSession],
        verifier: TokenVerifier,
    ) -> None:
        self.app = app
        self.sessions = sessions
        self.verifier = verifier
        self._purged = 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        key = _header(scope, b"idempotency-key")
        if key is None:
            await self.app(scope, receive, send)
            return
        if not valid_key(key):
            await _refuse(send, scope, KEY_INVALID)
            return
        caller = await self._caller(scope)
        if caller is None:  # no or an invalid token: the route answers 401
            await self.app(scope, receive, send)
            return
        body, more = await _read_body(receive)
        request = fingerprint(scope["method"], scope["path"], scope.get("query_string", b""), body)
        identifier = row_id(caller, key)
        sessions = self.sessions
        await self._purge_expired(sessions)
        claimed, earlier = await _claim(sessions, identifier, request)
        if not claimed:
            assert earlier is not None
            if earlier.fingerprint != request:
                await _refuse(send, scope, KEY_REUSED)
            elif earlier.status is None or earlier.answer is None:
                await _refuse(send, scope, IN_FLIGHT)
            else:
                try:
                    status, headers, answer = open_answer(caller, key, earlier.answer)
                except InvalidTag:  # cannot happen unless the row was altered
                    await _refuse(send, scope, KEY_REUSED)
                    return
                log.info("idempotency.replayed", status=status)
                await _answer(
                    send, status, [*headers, (REPLAYED_HEADER.lower().encode(), b"true")], answer
                )
            return
        await self._handle(scope, _replay(body, more), send, sessions, identifier, caller, key)

    async def _handle(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        sessions: async_sessionmaker[AsyncSession],
        identifier: str,
        caller: str,
        key: str,
    ) -> None:
        status = 500
        headers: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []

        async def keep(message: Message) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [
                    (name.lower(), value)
                    for name, value in message.get("headers", [])
                    if name.lower() in KEPT_HEADERS
                ]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, keep)
        finally:
            await _settle(sessions, identifier, caller, key, status, headers, b"".join(chunks))

    async def _caller(self, scope: Scope) -> str | None:
        authorization = _header(scope, b"authorization")
        if authorization is None or not authorization.lower().startswith("bearer "):
            return None
        try:
            principal = await self.verifier.verify(authorization[7:].strip())
        except InvalidToken:
            return None
        home = principal.home_organisation_id or ""
        return f"{principal.organisation_id}:{home}:{principal.user_id}:{principal.grant_id or ''}"

    async def _purge_expired(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        now = time.monotonic()
        if now - self._purged < PURGE_EVERY_SECONDS:
            return
        self._purged = now
        async with sessions() as session, session.begin():
            await session.execute(
                delete(IdempotentRequest).where(
                    IdempotentRequest.expires_at < datetime.now(UTC)  # type: ignore[arg-type]
                )
            )


async def _claim(
    sessions: async_sessionmaker[AsyncSession], identifier: str, request: str
) -> tuple[bool, IdempotentRequest | None]:
    """Claim the key for this request, or return the request that holds it."""
    now = datetime.now(UTC)
    for _ in range(2):
        try:
            async with sessions() as session, session.begin():
                session.add(
                    IdempotentRequest(
                        id=identifier,
                        fingerprint=request,
                        created_at=now,
                        expires_at=now + KEPT_FOR,
                    )
                )
            return True, None
        except IntegrityError:
            pass
        async with sessions() as session, session.begin():
            earlier = await session.get(IdempotentRequest, identifier)
            if earlier is None:  # settled as a 5xx in between: claim again
                continue
            if as_utc(earlier.expires_at) > now:
                session.expunge(earlier)
                return False, earlier
            await session.delete(earlier)
    return False, IdempotentRequest(
        id=identifier, fingerprint=request, created_at=now, expires_at=now
    )


async def _settle(
    sessions: async_sessionmaker[AsyncSession],
    identifier: str,
    caller: str,
    key: str,
    status: int,
    headers: list[tuple[bytes, bytes]],
    body: bytes,
) -> None:
    """Keep the answer, or forget the key after a 5xx so that a retry is handled."""
    try:
        async with sessions() as session, session.begin():
            row = (
                await session.execute(
                    select(IdempotentRequest).where(IdempotentRequest.id == identifier)  # type: ignore[arg-type]
                )
            ).scalar_one_or_none()
            if row is None:
                return
            if status >= 500:
                await session.delete(row)
                return
            row.status = status
            row.answer = seal_answer(caller, key, status, headers, body)
    except Exception as error:  # the answer went out; a retry then waits for the expiry (409)
        log.warning("idempotency.not_kept", error=f"{type(error).__name__}: {error}")


def _header(scope: Scope, name: bytes) -> str | None:
    for header, value in scope.get("headers", []):
        if header.lower() == name:
            try:
                return bytes(value).decode("ascii")
            except UnicodeDecodeError:
                return "\x00"  # not visible ASCII: refused as a key, unusable as a token
    return None


async def _read_body(receive: Receive) -> tuple[bytes, list[Message]]:
    """Read the whole body; what came after it (a disconnect) is handed on unchanged."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), [message]
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks), []


def _replay(body: bytes, after: list[Message]) -> Receive:
    pending: list[Message] = [{"type": "http.request", "body": body, "more_body": False}, *after]

    async def receive() -> Message:
        if pending:
            return pending.pop(0)
        return {"type": "http.disconnect"}

    return receive


async def _answer(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [*headers, (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


def document_idempotency(document: dict[str, Any]) -> dict[str, Any]:
    """Document the header and its answers on every authenticated ``POST`` (in place)."""
    parameter = {
        "name": HEADER,
        "in": "header",
        "required": False,
        "description": (
            "A key of your choice (for example a UUID) that makes the request safe to send "
            "again: within 24 hours, the same key and request return the first answer with "
            f"`{REPLAYED_HEADER}: true` and do nothing new. The same key with another request "
            "answers 422; while the first is still being handled, 409."
        ),
        "schema": {
            "type": "string",
            "minLength": 1,
            "maxLength": MAX_KEY_LENGTH,
            "pattern": KEY_PATTERN,
        },
        "example": "7f1c2a1e-5f4b-4a3e-9d0c-2b8f6e1d4c3a",
    }
    detail = {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    answers = {
        "400": f"The {HEADER} header is not 1 to 255 visible ASCII characters, or the body is "
        "not valid JSON or breaks the platform's rule for text and numbers.",
        "409": f"A request with this {HEADER} is still being handled.",
        "422": f"This {HEADER} was used with another request, or the request is invalid.",
    }
    for operations in document.get("paths", {}).values():
        post = operations.get("post")
        if post is None or not post.get("security"):
            continue
        parameters = post.setdefault("parameters", [])
        if not any(p.get("name") == HEADER for p in parameters):
            parameters.append(parameter)
        responses = post.setdefault("responses", {})
        for status, description in answers.items():
            responses.setdefault(status, {"description": description, "content": detail})
    return document

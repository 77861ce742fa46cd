"""Bearer-token authentication: verify identity's EdDSA JWTs against its JWKS, yield a principal.

Every failure answers the same generic 401, whatever went wrong (ASVS 6.3.8 / 16.3.1: the reason is
logged, never returned). Roles are enforced per route, tenant scope per query.
"""

import asyncio
import base64
import hashlib
import json
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any, Protocol

import httpx
import jwt
import structlog
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.events import Actor, ActorType

log = structlog.get_logger("pactum.auth")

ALGORITHM = "EdDSA"
OPERATOR_KIND = "operator"
ORGANISATION_KINDS = frozenset({"controller", "processor", OPERATOR_KIND})
NAME_LENGTH = 200  # the longest display name a token carries


class Role(StrEnum):
    admin = "admin"
    member = "member"
    auditor = "auditor"  # read-only, for audits under DPA-11


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: a user of one organisation, with roles, in one session."""

    user_id: str
    organisation_id: str
    roles: frozenset[Role]
    session_id: str
    actor_type: ActorType = ActorType.user
    grant_id: str | None = None
    # An operator under a grant acts in the customer's organisation (``organisation_id`` scopes
    # every query) while belonging to its own (``home_organisation_id``), which events record as
    # the actor's organisation so audit flags the supplier intervention (TOM-T3c).
    home_organisation_id: str | None = None
    methods: tuple[str, ...] = ()  # the ``amr`` claim: how the user authenticated
    # The ``org_kind`` claim: the kind of ``organisation_id`` (controller, processor, operator);
    # None in tokens under a grant and in tokens issued before identity carried it.
    organisation_kind: str | None = None
    # The ``name`` claim: the person's display name, so the events they cause name them (audit
    # seals it); None in tokens issued before identity carried it.
    display_name: str | None = None

    @property
    def is_operator_admin(self) -> bool:
        """An admin of the operator organisation, in its own name (never under a grant)."""
        return (
            self.grant_id is None
            and self.organisation_kind == OPERATOR_KIND
            and Role.admin in self.roles
        )

    @property
    def actor(self) -> Actor:
        return Actor(
            id=self.user_id,
            type=self.actor_type,
            organisation_id=self.home_organisation_id or self.organisation_id,
            grant_id=self.grant_id,
            name=self.display_name,
        )

    def has_any(self, roles: Iterable[Role]) -> bool:
        return not self.roles.isdisjoint(roles)


class InvalidToken(Exception):
    """Why a token was refused; logged, never shown to the caller."""


JwksSource = Callable[[], Awaitable[dict[str, Any]]]


class GrantEnded(InvalidToken):
    """A token verified in every other way, under a grant the customer revoked: refused like any
    invalid token, and filed as an access attempt in the customer's log (TOM-T3c)."""

    def __init__(self, principal: "Principal") -> None:
        super().__init__("grant revoked")
        self.principal = principal


class RevocationCheck(Protocol):
    def is_revoked(self, *, session_id: str, grant_id: str | None) -> bool: ...


def http_jwks(url: str, *, client: httpx.AsyncClient | None = None) -> JwksSource:
    async def fetch() -> dict[str, Any]:
        if client is not None:
            response = await client.get(url, timeout=5.0)
        else:
            async with httpx.AsyncClient() as own:
                response = await own.get(url, timeout=5.0)
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    return fetch


@dataclass
class TokenVerifier:
    """Verifies access tokens locally; keys are cached and refetched on an unknown key id.

    When the JWKS cannot be fetched, the verifier backs off (1 s, doubling to 60 s) and answers
    from the keys it has, up to ``stale_grace_seconds`` past their cache time, instead of making
    every request wait for another failing fetch; a key id it does not know is refused at once
    meanwhile.

    A token that verified is remembered (by its exact text, up to ``verified_tokens`` of them)
    with the principal it carries, so the next request with it skips the signature check and the
    claim parsing. A remembered token still expires at its ``exp``, is refused once its session or
    grant is revoked, and is verified anew when its key left the JWKS or the keys went stale.
    """

    jwks: JwksSource
    issuer: str
    audience: str
    leeway_seconds: int = 30
    cache_seconds: float = 300.0
    min_refetch_seconds: float = 10.0
    # JWKS unreachable: retry after 1 s, doubling to at most 60 s, answering meanwhile from the
    # keys at hand, for at most an hour past their cache time (then tokens are refused).
    retry_seconds: float = 1.0
    max_retry_seconds: float = 60.0
    stale_grace_seconds: float = 3600.0
    revocations: RevocationCheck | None = None
    verified_tokens: int = 4096
    _keys: dict[str, Ed25519PublicKey] = field(default_factory=dict)
    _dropped: set[str] = field(default_factory=set)  # revoked key ids, never trusted again
    _fetched_at: float = float("-inf")
    _failures: int = 0
    _retry_at: float = 0.0
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # token -> (principal, exp as a Unix time, key id), least recently used first
    _verified: "OrderedDict[str, tuple[Principal, float, str]]" = field(default_factory=OrderedDict)

    async def verify(self, token: str) -> Principal:
        remembered = self._verified.get(token)
        if remembered is not None:
            principal, expires, kid = remembered
            fresh_keys = time.monotonic() - self._fetched_at <= self.cache_seconds
            if fresh_keys and kid in self._keys and time.time() - self.leeway_seconds < expires:
                self._verified.move_to_end(token)
                self._check_revocation(principal)
                return principal
            del self._verified[token]
        principal, expires, kid = await self._verify(token)
        self._verified[token] = (principal, expires, kid)
        if len(self._verified) > self.verified_tokens:
            self._verified.popitem(last=False)
        return principal

    def drop_key(self, kid: str) -> None:
        """Stop trusting the signing key ``kid`` at once (an emergency revocation), even while a
        JWKS fetched before the revocation, or a stale one, still lists it."""
        self._dropped.add(kid)
        self._keys.pop(kid, None)
        # The replacement key is new here: let the next token that names it refetch at once.
        self._fetched_at = min(self._fetched_at, time.monotonic() - self.min_refetch_seconds - 1)
        for token in [token for token, (*_, key) in self._verified.items() if key == kid]:
            del self._verified[token]

    def _check_revocation(self, principal: Principal) -> None:
        if self.revocations is None:
            return
        if self.revocations.is_revoked(session_id=principal.session_id, grant_id=None):
            raise InvalidToken("session revoked")
        if principal.grant_id and self.revocations.is_revoked(
            session_id=principal.session_id, grant_id=principal.grant_id
        ):
            raise GrantEnded(principal)

    async def _verify(self, token: str) -> tuple[Principal, float, str]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise InvalidToken(f"malformed token: {type(error).__name__}") from None
        if header.get("alg") != ALGORITHM:
            raise InvalidToken(f"algorithm {header.get('alg')!r} not accepted")
        kid = str(header.get("kid", ""))
        key = await self._key(kid)
        try:
            claims = jwt.decode(
                token,
                key=key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway_seconds,
                options={"require": ["exp", "iat", "sub", "iss", "aud", "org", "sid"]},
            )
        except jwt.PyJWTError as error:
            raise InvalidToken(f"{type(error).__name__}: {error}") from None
        principal = _principal(claims)
        self._check_revocation(principal)
        try:
            expires = float(claims["exp"])
        except (TypeError, ValueError):
            raise InvalidToken("bad claims: exp") from None
        return principal, expires, kid

    async def _key(self, kid: str) -> Ed25519PublicKey:
        now = time.monotonic()
        age = now - self._fetched_at
        if kid in self._keys and age <= self.cache_seconds:
            return self._keys[kid]
        # Stale keys, or a key id not seen yet. While identity's JWKS cannot be fetched (backing
        # off) or another request is fetching it, answer from the keys at hand rather than wait.
        waiting = now < self._retry_at or self._lock.locked()
        usable = kid in self._keys and age <= self.cache_seconds + self.stale_grace_seconds
        if not (waiting and usable):
            async with self._lock:
                await self._refresh_if_due(kid)
        if not self._keys:
            raise InvalidToken("no signing keys available")
        too_old = (
            time.monotonic() - self._fetched_at > self.cache_seconds + self.stale_grace_seconds
        )
        if self._failures and too_old:
            raise InvalidToken("signing keys too old to trust and the JWKS is unreachable")
        try:
            return self._keys[kid]
        except KeyError:
            raise InvalidToken(f"unknown key id {kid!r}") from None

    async def _refresh_if_due(self, kid: str) -> None:
        """Fetch the JWKS unless another request just did, a failure is being backed off, or an
        unknown key id was looked up less than ``min_refetch_seconds`` ago."""
        now = time.monotonic()
        age = now - self._fetched_at
        if now < self._retry_at:
            return
        if age <= self.cache_seconds and (kid in self._keys or age <= self.min_refetch_seconds):
            return
        try:
            document = await self.jwks()
        except Exception as error:
            self._failures += 1
            backoff = min(self.retry_seconds * 2 ** (self._failures - 1), self.max_retry_seconds)
            self._retry_at = time.monotonic() + backoff
            log.warning(
                "auth.jwks_unavailable",
                error=str(error),
                failures=self._failures,
                retry_in_seconds=backoff,
                keys_at_hand=len(self._keys),
            )
            return
        self._keys = {
            str(jwk["kid"]): _public_key(jwk)
            for jwk in document.get("keys", [])
            if jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519" and "kid" in jwk
            if str(jwk["kid"]) not in self._dropped
        }
        self._fetched_at = time.monotonic()
        self._failures, self._retry_at = 0, 0.0


def _principal(claims: dict[str, Any]) -> Principal:
    try:
        roles = frozenset(Role(role) for role in claims.get("roles", []))
        actor_type = ActorType(claims.get("act", ActorType.user))
        organisation_id = str(uuid.UUID(str(claims["org"])))
        home = str(uuid.UUID(str(claims["home_org"]))) if claims.get("home_org") else None
        methods = tuple(str(method) for method in claims.get("amr", []))
        kind = claims.get("org_kind")
        if kind is not None and kind not in ORGANISATION_KINDS:
            raise ValueError(f"org_kind {kind!r}")
        name = claims.get("name")
        if name is not None and (not isinstance(name, str) or len(name) > NAME_LENGTH):
            raise ValueError("name")
    except (ValueError, KeyError, TypeError) as error:
        raise InvalidToken(f"bad claims: {error}") from None
    return Principal(
        user_id=str(claims["sub"]),
        organisation_id=organisation_id,
        roles=roles,
        session_id=str(claims["sid"]),
        actor_type=actor_type,
        grant_id=claims.get("grant"),
        home_organisation_id=home,
        methods=methods,
        organisation_kind=kind,
        display_name=name or None,
    )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _public_key(jwk: dict[str, Any]) -> Ed25519PublicKey:
    raw = base64.urlsafe_b64decode(str(jwk["x"]) + "=" * (-len(str(jwk["x"])) % 4))
    return Ed25519PublicKey.from_public_bytes(raw)


@dataclass
class TokenSigner:
    """Signs access tokens with an Ed25519 key and publishes its public half as a JWKS."""

    private_key: Ed25519PrivateKey
    issuer: str
    audience: str

    @classmethod
    def generate(cls, *, issuer: str, audience: str) -> "TokenSigner":
        return cls(Ed25519PrivateKey.generate(), issuer, audience)

    @classmethod
    def from_pem(cls, pem: bytes, *, issuer: str, audience: str) -> "TokenSigner":
        key = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("the signing key must be an Ed25519 private key")
        return cls(key, issuer, audience)

    def to_pem(self) -> bytes:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    @property
    def public_jwk(self) -> dict[str, str]:
        raw = self.private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        x = _b64(raw)
        # RFC 7638 thumbprint as the key id: stable for the key, changes with rotation.
        thumbprint = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": x}, separators=(",", ":"))
        kid = _b64(hashlib.sha256(thumbprint.encode()).digest())
        return {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": kid, "alg": ALGORITHM, "use": "sig"}

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        return {"keys": [self.public_jwk]}

    def issue(
        self,
        *,
        user_id: str,
        organisation_id: str,
        roles: Iterable[Role | str],
        session_id: str | None = None,
        ttl: timedelta = timedelta(minutes=10),
        actor_type: ActorType = ActorType.user,
        grant_id: str | None = None,
        methods: Iterable[str] = (),
        home_organisation_id: str | None = None,
        expires_at: datetime | None = None,
        organisation_kind: str | None = None,
        name: str | None = None,
    ) -> str:
        now = datetime.now(UTC)
        expiry = now + ttl if expires_at is None else min(now + ttl, expires_at)
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": user_id,
            "org": organisation_id,
            "roles": [str(role) for role in roles],
            "sid": session_id or str(uuid.uuid4()),
            "iat": now,
            "nbf": now,
            "exp": expiry,
            "jti": str(uuid.uuid4()),
        }
        if actor_type is not ActorType.user:
            claims["act"] = str(actor_type)
        if grant_id:
            claims["grant"] = grant_id
        if methods:
            claims["amr"] = list(methods)
        if home_organisation_id:
            claims["home_org"] = home_organisation_id
        if organisation_kind:
            claims["org_kind"] = organisation_kind
        if name:
            claims["name"] = name[:NAME_LENGTH]
        return jwt.encode(
            claims, self.private_key, algorithm=ALGORITHM, headers={"kid": self.public_jwk["kid"]}
        )


_bearer = HTTPBearer(auto_error=False)

UNAUTHENTICATED = HTTPException(
    status_code=status.HTTP_401_UNAUTHORIZED,
    detail="Not authenticated",
    headers={"WWW-Authenticate": "Bearer"},
)


async def authenticate(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """FastAPI dependency: the verified principal, or a generic 401."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise UNAUTHENTICATED
    verifier: TokenVerifier = request.app.state.runtime.verifier
    try:
        principal = await verifier.verify(credentials.credentials)
    except GrantEnded as ended:
        log.info("auth.token_refused", reason=str(ended))
        await request.app.state.runtime.record_grant_refusal(ended.principal, request.method)
        raise UNAUTHENTICATED from None
    except InvalidToken as error:
        log.info("auth.token_refused", reason=str(error))
        raise UNAUTHENTICATED from None
    structlog.contextvars.bind_contextvars(
        tenant=principal.organisation_id, actor_id=principal.user_id
    )
    return principal


CurrentPrincipal = Annotated[Principal, Depends(authenticate)]


def require_roles(*roles: Role) -> Callable[[Principal], Awaitable[Principal]]:
    """FastAPI dependency factory: the principal must hold one of ``roles`` (else a generic 403)."""

    async def check(principal: CurrentPrincipal) -> Principal:
        if not principal.has_any(roles):
            raise HTTPException(status.HTTP_403_FORBIDDEN, detail="Not allowed")
        return principal

    return check

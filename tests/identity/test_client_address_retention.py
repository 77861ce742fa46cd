"""Failed sign-ins' client addresses are deleted once past their retention (TOM-T1, TOM-32a);
the lockout's per-address throttle (TOM-T5) keeps working inside its window."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlmodel import col

from services.identity import login, retention
from services.identity.store import RESET_KEY, ClientFailure
from tests.identity.conftest import PASSWORD, Identity, events_of

WRONG = "definitely not the password"


async def _addresses(identity: Identity) -> set[str]:
    async with identity.platform.runtime("identity").sessions() as session:
        return set((await session.scalars(select(col(ClientFailure.address)))).all())


async def _forget(identity: Identity, *, now: datetime, batch_size: int = 1000) -> int:
    settings = identity.authority.settings
    runtime = identity.platform.runtime("identity")
    return await retention.forget_client_addresses(
        sessions=runtime.sessions,
        outbox=runtime.outbox,
        before=now - timedelta(days=settings.client_address_retention_days),
        login_window_minutes=settings.client_window_minutes,
        reset_window_minutes=settings.reset_window_minutes,
        batch_size=batch_size,
    )


async def test_client_addresses_of_failed_sign_ins_past_retention_are_deleted__TOM_T1_TOM_32a(
    identity: Identity,
) -> None:
    settings = identity.authority.settings
    assert settings.client_address_retention_days == 30
    now = datetime.now(UTC)
    long_ago = now - timedelta(days=31)
    just_kept = now - timedelta(days=29)

    def window(moment: datetime, minutes: int) -> int:
        return int(moment.timestamp() // (minutes * 60))

    login_minutes, reset_minutes = settings.client_window_minutes, settings.reset_window_minutes
    async with identity.platform.runtime("identity").sessions() as session, session.begin():
        session.add_all(
            [
                ClientFailure(address="198.51.100.1", window=window(long_ago, login_minutes)),
                ClientFailure(address="198.51.100.2", window=window(long_ago, login_minutes)),
                ClientFailure(
                    address=RESET_KEY + "198.51.100.3", window=window(long_ago, reset_minutes)
                ),
                ClientFailure(address="198.51.100.4", window=window(just_kept, login_minutes)),
                ClientFailure(
                    address=RESET_KEY + "198.51.100.5", window=window(just_kept, reset_minutes)
                ),
                ClientFailure(address="198.51.100.6", window=window(now, login_minutes)),
            ]
        )

    # Two per batch: three records go in two batches, one event each.
    assert await _forget(identity, now=now, batch_size=2) == 3

    assert await _addresses(identity) == {
        "198.51.100.4",
        RESET_KEY + "198.51.100.5",
        "198.51.100.6",
    }
    events = await events_of(identity.platform, "dpa.identity.retention.expired.v1", count=2)
    assert sorted(entry.data["deleted"] for entry in events) == [1, 2]
    assert all(entry.data["record"] == "client_failure" for entry in events)
    assert "198.51.100" not in repr([entry.data for entry in events])  # counts, no address
    assert await _forget(identity, now=now) == 0  # once: nothing more is due


async def test_an_address_is_still_throttled_in_its_window_after_retention_ran__TOM_T5_TOM_T1(
    identity: Identity,
) -> None:
    admin = await identity.admin()
    authority = identity.authority
    authority.settings = authority.settings.model_copy(update={"client_failure_limit": 3})
    runtime = identity.platform.runtime("identity")

    async def attempt(email: str, password: str = WRONG) -> str:
        try:
            await login.password_login(
                sessions=runtime.sessions,
                authority=authority,
                email=email,
                password=password,
                address="192.0.2.44",
            )
        except login.Throttled:
            return "throttled"
        except login.LoginRefused:
            return "refused"
        return "signed in"

    for number in range(3):
        assert await attempt(f"victim-{number}@example.org") == "refused"
    assert await _forget(identity, now=datetime.now(UTC)) == 0
    assert await _addresses(identity) == {authority.client_key("192.0.2.44")}
    assert await attempt(admin.email, PASSWORD) == "throttled"
    # Once its window is long over, the record goes (and the address with it).
    assert await _forget(identity, now=datetime.now(UTC) + timedelta(days=31)) == 1
    assert await _addresses(identity) == set()

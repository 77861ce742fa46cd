"""Webhook signing secrets are sealed at rest (issue 15.10): the database holds no clear secret,
signing still works after a restart, secrets an older version left in clear are sealed when the
notifier starts, and a key appended to the key file takes over (rotation)."""

import base64
import os
import uuid
from typing import Any

import pytest
from cryptography.exceptions import InvalidTag
from sqlalchemy import text

from services.notifier import webhook_signatures
from services.notifier.secret_seal import SecretSeal
from services.notifier.service import seal_clear_secrets
from shared.events.contracts.agreements import BreachNoticeIssued
from tests.notifier.conftest import Call, Notifier, Receiver, event
from tests.notifier.test_breach_notices import breach_notice
from tests.support.platform import eventually


def _issued(controller: str) -> Any:
    data: BreachNoticeIssued = breach_notice(controller)
    return event("dpa.agreements.breach_notice.issued.v1", controller, data)


async def _rows(notifier: Notifier, endpoint_id: str) -> tuple[str, str | None]:
    async with notifier.platform.runtime("notifier").sessions() as session:
        row = (
            await session.execute(
                text("SELECT secret, previous_secret FROM webhook_endpoint WHERE id = :id"),
                {"id": uuid.UUID(endpoint_id).hex if _is_sqlite(notifier) else endpoint_id},
            )
        ).one()
    return row[0], row[1]


def _is_sqlite(notifier: Notifier) -> bool:
    engine = notifier.platform.runtime("notifier").engine
    return engine.dialect.name == "sqlite"


async def _verified_call(receiver: Receiver) -> Call:
    async def verified() -> list[Call]:
        return receiver.verified_calls()

    [call] = await eventually(verified)
    return call


async def test_the_database_holds_no_clear_secret_and_signing_survives_a_restart(
    notifier: Notifier, receiver: Receiver
) -> None:
    controller = str(uuid.uuid4())
    endpoint = await notifier.endpoint(controller, receiver, ["breach"])
    rotated = await notifier.client.post(
        f"/notifier/endpoints/{endpoint['id']}/rotate", headers=notifier.auth(controller)
    )
    assert rotated.status_code == 200, rotated.text
    new_secret = rotated.json()["secret"]
    assert new_secret.startswith("whsec_")

    secret, previous = await _rows(notifier, endpoint["id"])
    for stored, clear in ((secret, new_secret), (previous, endpoint["secret"])):
        assert stored is not None and stored.startswith("sealed:v1:")
        assert clear not in stored and clear.removeprefix("whsec_") not in stored
    listed = await notifier.client.get("/notifier/endpoints", headers=notifier.auth(controller))
    assert "secret" not in listed.json()["items"][0]

    await notifier.restart()
    receiver.secrets = [new_secret]
    await notifier.publish(_issued(controller))
    call = await _verified_call(receiver)
    assert len(call.headers["webhook-signature"].split()) == 2  # the overlap: both still sign


async def test_clear_secrets_are_sealed_at_start_and_a_new_key_takes_over(
    notifier: Notifier, receiver: Receiver
) -> None:
    controller = str(uuid.uuid4())
    endpoint = await notifier.endpoint(controller, receiver, ["breach"])
    clear = webhook_signatures.new_secret()
    key_file = notifier.platform.var_dir / "notifier" / "webhook-key"
    old_key = SecretSeal.from_file(key_file).current
    async with notifier.platform.runtime("notifier").sessions() as session, session.begin():
        await session.execute(  # as an older version stored it: in clear
            text("UPDATE webhook_endpoint SET secret = :secret"), {"secret": clear}
        )
    with key_file.open("a") as keys:
        keys.write(f"k2new {base64.b64encode(os.urandom(32)).decode()}\n")

    await notifier.restart()

    secret, _ = await _rows(notifier, endpoint["id"])
    assert secret.startswith("sealed:v1:k2new:") and clear.removeprefix("whsec_") not in secret
    seal = notifier.dispatcher.seal
    assert seal.current == "k2new" and old_key != "k2new"
    assert await seal_clear_secrets(notifier.platform.runtime("notifier").sessions, seal) == 0
    receiver.secrets = [clear]
    await notifier.publish(_issued(controller))
    assert (await _verified_call(receiver)).verified


def test_a_sealed_secret_opens_only_for_its_own_endpoint() -> None:
    seal = SecretSeal({"k1": os.urandom(32)}, current="k1")
    mine, other = uuid.uuid4(), uuid.uuid4()
    sealed = seal.seal("whsec_abc", endpoint_id=mine)
    assert seal.open(sealed, endpoint_id=mine) == "whsec_abc"
    with pytest.raises(InvalidTag):
        seal.open(sealed, endpoint_id=other)

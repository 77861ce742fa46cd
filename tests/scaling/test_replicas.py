"""Two replicas of every service on one database each and a three-node NATS cluster give the
results one replica gives: every event recorded, planned and delivered once, every
organisation's audit tree valid (USE-1, TOM-32b)."""

import asyncio
import uuid
from collections import Counter
from typing import Any

import httpx
import nats
import pytest

from deploy.mailsink import MailSink
from shared.events import Envelope
from tests.agreements.organisations import announce
from tests.notifier.conftest import event
from tests.notifier.test_breach_notices import breach_notice
from tests.scaling.conftest import Hooks
from tests.support.fleet import Fleet
from tests.support.platform import eventually
from tests.support.replicas import SERVICES

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.timeout(120)]

ORGANISATIONS = 3
AGREEMENTS_PER_ORGANISATION = 8
BREACH_NOTICES_PER_ORGANISATION = 3


async def start_two_of_each(fleet: Fleet) -> None:
    # The first replicas create the keys and the schemas; the second ones find them.
    first = [fleet.start(service) for service in SERVICES]
    await fleet.ready(*first)
    second = [fleet.start(service) for service in SERVICES]
    await fleet.ready(*second)


async def publish(nats_url: str, events: list[Envelope]) -> None:
    """Other services' events, straight into the stream (the notifier's breach notices)."""
    connection = await nats.connect(nats_url.split(","))
    try:
        stream = connection.jetstream()
        for item in events:
            headers = {"Nats-Msg-Id": str(item.id)}
            await stream.publish(item.nats_subject, item.to_json(), headers=headers)
    finally:
        await connection.close()


async def audit_entries(client: httpx.AsyncClient, url: str, auth: dict[str, str]) -> list[Any]:
    page = await client.get(f"{url}/audit/entries", params={"limit": 500}, headers=auth)
    assert page.status_code == 200, page.text
    items: list[Any] = page.json()["items"]
    return items


async def test_two_replicas_of_each_service_record_and_deliver_every_event_once__USE_1_TOM_32b(
    fleet: Fleet, mail_sink: MailSink, hooks: Hooks
) -> None:
    await start_two_of_each(fleet)
    agreements = [replica.url for replica in fleet.of("agreements")]
    audits = [replica.url for replica in fleet.of("audit")]
    notifiers = [replica.url for replica in fleet.of("notifier")]
    organisations = [str(uuid.uuid4()) for _ in range(ORGANISATIONS)]
    await announce(fleet.nats_url, dict.fromkeys(organisations, "controller"))

    async with httpx.AsyncClient(timeout=10) as client:
        for number, organisation in enumerate(organisations):
            auth = fleet.auth(organisation)
            url = notifiers[number % 2]
            contact = await client.post(
                f"{url}/notifier/contacts",
                json={"topics": ["breach"], "email": f"dpo-{number}@gemeente.example"},
                headers=auth,
            )
            assert contact.status_code == 201, contact.text
            endpoint = await client.post(
                f"{url}/notifier/endpoints",
                json={"url": hooks.url, "topics": ["breach"]},
                headers=auth,
            )
            assert endpoint.status_code == 201, endpoint.text

        async def create(organisation: str, number: int) -> str:
            answer = await client.post(
                f"{agreements[number % 2]}/agreements",
                json={"title": f"Agreement {number}"},
                headers=fleet.auth(organisation),
            )
            assert answer.status_code == 201, answer.text
            return str(answer.json()["id"])

        created = await asyncio.gather(
            *(
                create(organisation, number)
                for organisation in organisations
                for number in range(AGREEMENTS_PER_ORGANISATION)
            )
        )
        assert len(set(created)) == ORGANISATIONS * AGREEMENTS_PER_ORGANISATION
        issued = "dpa.agreements.breach_notice.issued.v1"
        notices = [
            event(issued, organisation, breach_notice(organisation))
            for organisation in organisations
            for _ in range(BREACH_NOTICES_PER_ORGANISATION)
        ]
        await publish(fleet.nats_url, notices)

        counted = {"dpa.agreements.agreement.created.v1", issued}
        expected = AGREEMENTS_PER_ORGANISATION + BREACH_NOTICES_PER_ORGANISATION
        for organisation in organisations:
            auth = fleet.auth(organisation)

            async def recorded(auth: dict[str, str] = auth) -> list[Any] | None:
                items = await audit_entries(client, audits[0], auth)
                found = [item for item in items if item["event_type"] in counted]
                return found if len(found) >= expected else None

            entries = await eventually(recorded, within=45)
            ids = Counter(item["event_id"] for item in entries or [])
            assert len(ids) == expected and max(ids.values()) == 1, ids
            for url in audits:  # either replica verifies the one tree both wrote
                verification = await client.get(f"{url}/audit/verification", headers=auth)
                assert verification.status_code == 200, verification.text
                assert verification.json()["valid"] is True, verification.json()

        addresses = [f"dpo-{n}@gemeente.example" for n in range(ORGANISATIONS)]

        async def delivered() -> bool:
            mails = Counter(str(message["To"]) for message in mail_sink.messages)
            webhooks = {call.get("webhook-id") for call in hooks.calls}
            enough = all(mails[a] >= BREACH_NOTICES_PER_ORGANISATION for a in addresses)
            return enough and len(webhooks) >= len(notices)

        await eventually(delivered, within=45)
        await asyncio.sleep(1.0)  # a double delivery would come within a dispatch poll or two
        mails = Counter(str(message["To"]) for message in mail_sink.messages)
        assert mails == dict.fromkeys(addresses, BREACH_NOTICES_PER_ORGANISATION)
        assert len(hooks.calls) == len(notices), hooks.calls
        assert len({call["webhook-id"] for call in hooks.calls}) == len(notices)

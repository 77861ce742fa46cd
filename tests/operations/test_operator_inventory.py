"""``pactum list`` and ``pactum show`` (issue 16.6): the real command line as a subprocess against
the four services started on a real nats-server and real databases (SQLite and PostgreSQL).

What is proven: text as aligned tables with Brussels times, ``--json`` with stable keys, paging to
the end with ``--limit`` and ``next_cursor``, metadata only (no e-mail address reaches the
operator), every read audited in the customer's log as a supplier intervention (TOM-T3c), and
the exit codes (0 done, 1 a problem, 2 bad usage, 3 not found) with state unchanged."""

import argparse
import uuid
from collections.abc import AsyncIterator, Callable
from functools import partial
from pathlib import Path

import pytest

from deploy.operator import _parser
from services.agreements.lifecycle.store import Agreement
from shared.outbox import OutboxMessage
from tests.agreements.organisations import once_known
from tests.support.databases import Database
from tests.support.nats import NatsServer
from tests.support.pactum_cli import environment, pactum
from tests.support.platform import Platform, eventually

pytestmark = pytest.mark.slow

USER_KEYS = {"id", "organisation_id", "role", "status", "second_factor", "locked", "created_at"}
AGREEMENT_KEYS = {
    "id",
    "title",
    "status",
    "version",
    "controller_id",
    "processor_id",
    "created_at",
    "activated_at",
    "terminated_at",
}


@pytest.fixture
async def platform(
    nats_server: NatsServer, database: Callable[[str], Database], tmp_path: Path
) -> AsyncIterator[Platform]:
    """The four services in this process; the command line runs beside them."""
    running = Platform(nats_url=nats_server.url, database=database, var_dir=tmp_path / "var")
    await running.start("identity", "agreements", "audit", "notifier")
    yield running
    await running.stop()


@pytest.mark.timeout(600)  # a dozen runs of the command line, each a fresh interpreter
async def test_operator_lists_and_shows_what_is_there_as_text_and_json__TOM_T3c(
    platform: Platform,
) -> None:
    env = environment(platform)
    # The first from a new interpreter, as an operator's shell starts it; the rest are forked
    # from the tests' warm one (tests/support/warm_cli.py).
    created = await pactum(
        env,
        "create-organisation",
        "--name",
        "Stad Utopia",
        "--kind",
        "controller",
        "--json",
        cold=True,
    )
    assert created.code == 0, created.err
    controller = created.json()["organisation_id"]
    invited = await pactum(
        env, "create-admin", "--organisation", controller, "--email", "Anna@Utopia.example"
    )
    assert invited.code == 0, invited.err

    organisations = await pactum(env, "list", "organisations")
    assert organisations.code == 0, organisations.err
    heading, *rows = organisations.out.splitlines()
    assert heading.split() == ["ID", "NAME", "KIND", "STATUS", "MFA", "CREATED", "AT"]
    (row,) = [line for line in rows if line.startswith(controller)]
    assert "Stad Utopia" in row and "controller" in row
    assert row.endswith(("CET", "CEST"))  # Brussels time, the zone named
    # The columns line up: each heading starts where its values start.
    assert row.index("Stad Utopia") == heading.index("NAME")

    users = await pactum(env, "list", "users", "--organisation", controller, "--json")
    assert users.code == 0, users.err
    (user,) = users.json()["items"]
    assert set(user) == USER_KEYS
    assert (user["role"], user["status"], user["organisation_id"]) == (
        "admin",
        "invited",
        controller,
    )
    text = await pactum(env, "show", "user", user["id"])
    assert text.code == 0, text.err
    assert (
        "anna@utopia.example" not in (users.out + text.out).lower()
    )  # metadata, never the address

    # Three agreements, listed two at a time to the end by following next_cursor.
    client = platform.clients["agreements"]
    headers = platform.auth(controller)
    ids = []
    for title in ("Burgerzaken", "Sociale dienst", "Bibliotheek"):
        body = {"title": title}
        answer = await once_known(partial(client.post, "/agreements", json=body, headers=headers))
        assert answer.status_code == 201, answer.text
        ids.append(answer.json()["id"])
    first = await pactum(
        env, "list", "agreements", "--organisation", controller, "--limit", "2", "--json"
    )
    assert first.code == 0, first.err
    page = first.json()
    assert page["kind"] == "agreements" and len(page["items"]) == 2 and page["next_cursor"]
    assert all(set(item) == AGREEMENT_KEYS for item in page["items"])
    rest = await pactum(
        env, "list", "agreements", "--organisation", controller, "--limit", "2",
        "--cursor", page["next_cursor"], "--json",
    )  # fmt: skip
    assert rest.code == 0, rest.err
    assert rest.json()["next_cursor"] is None
    listed = [item["id"] for item in page["items"] + rest.json()["items"]]
    assert sorted(listed) == sorted(ids) and len(set(listed)) == 3

    shown = await pactum(env, "show", "agreement", ids[0])
    assert shown.code == 0, shown.err
    assert "Burgerzaken" in shown.out and " CE" in shown.out
    assert (await pactum(env, "list", "grants", "--organisation", controller)).out.strip() == (
        "no grants"
    )
    deliveries = await pactum(env, "list", "deliveries", "--organisation", controller, "--json")
    assert deliveries.code == 0 and isinstance(deliveries.json()["items"], list)

    # Each read is in the customer's own audit log, as the supplier's intervention.
    async def operator_reads() -> set[str] | None:
        entries = await platform.audit_entries(organisation_id=controller)
        reads = {
            entry.event_type
            for entry in entries
            if entry.actor_type == "operator" and entry.supplier_intervention
        }
        wanted = {
            "dpa.identity.user.listed.v1",
            "dpa.identity.user.viewed.v1",
            "dpa.agreements.agreement.listed.v1",
            "dpa.agreements.agreement.viewed.v1",
            "dpa.identity.grant.listed.v1",
            "dpa.notifier.recipient.listed.v1",
        }
        return reads if wanted <= reads else None

    await eventually(operator_reads, within=20)
    viewed = await platform.audit_entries(
        organisation_id=controller, event_type="dpa.agreements.agreement.viewed.v1"
    )
    assert [entry.subject for entry in viewed if entry.actor_type == "operator"] == [ids[0]]


@pytest.mark.timeout(400)
async def test_bad_input_exits_2_a_missing_record_3_and_reads_nothing(
    platform: Platform, tmp_path: Path
) -> None:
    env = environment(platform)

    async def outbox_rows() -> int:
        return await platform.count("agreements", OutboxMessage)

    before = await outbox_rows()
    missing = await pactum(env, "show", "agreement", str(uuid.uuid4()), "--json")
    assert missing.code == 3
    assert missing.json()["error"]["exit_code"] == 3
    assert "no agreement" in missing.err
    for arguments in (
        ("list", "agreements"),  # one customer at a time: --organisation is required
        ("list", "organisations", "--organisation", str(uuid.uuid4())),
        ("list", "agreements", "--organisation", str(uuid.uuid4()), "--cursor", "not-ours"),
        ("list", "agreements", "--organisation", str(uuid.uuid4()), "--limit", "0"),
        ("list", "contracts"),
        ("show", "user", "not-a-uuid"),
    ):
        ran = await pactum(env, *arguments)
        assert ran.code == 2, (arguments, ran.err)
        assert ran.err.strip() and not ran.out.strip()
    assert await outbox_rows() == before  # nothing was read, so nothing was recorded
    assert await platform.count("agreements", Agreement) == 0

    unreachable = env | {"PACTUM_NOTIFIER_DATABASE_URL": f"sqlite:///{tmp_path / 'gone.db'}"}
    unreachable.pop("PACTUM_NOTIFIER_DATABASE_SCHEMA", None)
    broken = await pactum(unreachable, "list", "deliveries", "--organisation", str(uuid.uuid4()))
    assert broken.code == 1
    assert "no database at" in broken.err


def test_every_command_and_option_explains_itself_and_takes_json() -> None:
    parser = _parser()
    (commands,) = [action for action in parser._actions if action.dest == "command"]
    assert isinstance(commands, argparse._SubParsersAction)
    for name, command in commands.choices.items():
        options = {option for action in command._actions for option in action.option_strings}
        assert "--json" in options, name
        for action in command._actions:
            if action.dest != "help":
                assert action.help, f"pactum {name}: {action.dest} has no help text"
    helps = {action.dest: action.help for action in commands._choices_actions}
    assert all(helps.get(name) for name in commands.choices), helps

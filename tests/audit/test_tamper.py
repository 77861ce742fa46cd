# ruff: noqa: S608 (the tests play an attacker writing SQL by hand)
"""No edit to the stored log goes unnoticed: the database refuses it, and if someone with database
access forces it, the verifier names the first bad entry (ASVS 16.4.2, TOM-T3b, DPA-11)."""

import uuid

import pytest
from pactum_verify import merkle
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from services.audit.domain import canonical
from shared.auth import Role
from tests.audit.conftest import (
    Producer,
    drop_guards,
    entries_of,
    event,
    owner,
    reader,
    tamper,
)
from tests.support.platform import Platform, eventually


async def _log_of(audit: Platform, producer: Producer, size: int) -> str:
    organisation = str(uuid.uuid4())
    await producer.send(*(event(organisation, actor=f"user-{i}") for i in range(size)))
    await entries_of(audit, organisation, size)
    return organisation


async def _verification(audit: Platform, organisation: str) -> dict[str, object]:
    response = await audit.clients["audit"].get(
        "/audit/verification", headers=reader(audit, organisation)
    )
    assert response.status_code == 200
    body: dict[str, object] = response.json()
    return body


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_entry SET actor_id = 'someone-else'",
        "DELETE FROM audit_entry",
        "UPDATE audit_node SET hash = '00'",
        "DELETE FROM audit_node",
        "UPDATE audit_checkpoint SET root = '00'",
        "DELETE FROM audit_checkpoint",
    ],
)
async def test_database_refuses_to_change_or_delete_log_rows__ASVS_16_4_2(
    audit: Platform, producer: Producer, statement: str
) -> None:
    """Even as the database's owner (the migration role on PostgreSQL): the triggers refuse."""
    organisation = await _log_of(audit, producer, 16)  # 16 leaves: one stored node
    await audit.clients["audit"].post("/audit/checkpoints", headers=reader(audit, organisation))
    with pytest.raises(DBAPIError, match="append-only"):
        await tamper(audit, statement)
    assert (await _verification(audit, organisation))["valid"] is True


# What the audit service's own role (PACTUM_AUDIT_DATABASE_URL) tries, were the service taken over.
SERVICE_ROLE_REFUSALS = [
    "UPDATE audit_entry SET actor_id = 'someone-else'",
    "DELETE FROM audit_entry",
    "TRUNCATE audit_entry",
    "UPDATE audit_node SET hash = '00'",
    "DELETE FROM audit_node",
    "TRUNCATE audit_node",
    "UPDATE audit_checkpoint SET root = '00'",
    "DELETE FROM audit_checkpoint",
    "TRUNCATE audit_checkpoint",
    "DROP TRIGGER audit_entry_append_only ON audit_entry",
    "ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_append_only",
    "ALTER TABLE audit_entry DISABLE TRIGGER ALL",
    "ALTER TABLE audit_entry ADD COLUMN forged text",
    "ALTER TABLE audit_entry OWNER TO CURRENT_USER",
    "DROP TABLE audit_entry CASCADE",
    "DROP FUNCTION audit_refuse_change() CASCADE",
    "CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger AS $$ "
    "BEGIN RETURN NEW; END; $$ LANGUAGE plpgsql",
    "CREATE TABLE audit_shadow (forged text)",
]


@pytest.mark.parametrize("backend", [pytest.param("postgres", marks=pytest.mark.postgres)])
@pytest.mark.parametrize("statement", SERVICE_ROLE_REFUSALS)
async def test_the_audit_services_own_role_cannot_change_the_log_or_its_guards__ASVS_16_4_2_TOM_T5(
    audit: Platform, producer: Producer, statement: str
) -> None:
    organisation = await _log_of(audit, producer, 16)  # 16 leaves: one stored node
    await audit.clients["audit"].post("/audit/checkpoints", headers=reader(audit, organisation))
    with pytest.raises(DBAPIError, match=r"permission denied|must be owner"):
        await tamper(audit, statement, as_owner=False)
    assert (await _verification(audit, organisation))["valid"] is True
    async with owner(audit) as engine, engine.connect() as connection:
        triggers = await connection.scalar(
            text(
                "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'audit_%_append_only' "
                "AND tgenabled = 'O' AND tgrelid::regclass::text IN "
                "('audit_entry', 'audit_node', 'audit_checkpoint')"
            )
        )
    assert triggers == 3


@pytest.mark.parametrize("backend", [pytest.param("postgres", marks=pytest.mark.postgres)])
async def test_the_audit_services_own_role_owns_nothing_and_only_reads_and_appends_the_log__TOM_T5(
    audit: Platform,
) -> None:
    async with audit.runtime("audit").engine.connect() as connection:
        role = await connection.scalar(text("SELECT current_user"))
        owned = await connection.scalar(
            text(
                "SELECT (SELECT count(*) FROM pg_class WHERE relowner = r.oid)"
                " + (SELECT count(*) FROM pg_namespace WHERE nspowner = r.oid)"
                " + (SELECT count(*) FROM pg_proc WHERE proowner = r.oid)"
                " FROM pg_roles r WHERE r.rolname = current_user"
            )
        )
        grants = (
            await connection.execute(
                text(
                    "SELECT table_name, privilege_type FROM information_schema.role_table_grants"
                    " WHERE grantee = current_user AND table_schema = current_schema()"
                )
            )
        ).all()
    settings = audit.runtime("audit").settings
    assert role == settings.runtime_role and settings.migration_database_url
    assert owned == 0
    rights: dict[str, set[str]] = {}
    for table, privilege in grants:
        rights.setdefault(table, set()).add(privilege)
    for table in ("audit_entry", "audit_node", "audit_checkpoint"):
        assert rights[table] == {"SELECT", "INSERT"}, table
    assert rights["alembic_version"] == {"SELECT"}
    assert all("TRUNCATE" not in held and "TRIGGER" not in held for held in rights.values())


async def test_an_untouched_log_verifies__DPA_11(audit: Platform, producer: Producer) -> None:
    organisation = await _log_of(audit, producer, 21)
    report = await _verification(audit, organisation)
    assert report["valid"] is True and report["tree_size"] == 21
    assert report["entries_checked"] == 21 and report["first_bad_position"] is None
    reports = await eventually(
        lambda: audit.audit_entries(
            organisation_id=organisation, event_type="dpa.audit.log.verified.v1"
        )
    )
    assert reports[0].data == {"tree_size": 21, "valid": True, "first_bad_position": None}


def _swap(first: int, second: int, org: str) -> list[str]:
    where = f"organisation_id = '{org}' AND log_index"
    return [
        f"UPDATE audit_entry SET log_index = -1 WHERE {where} = {first}",
        f"UPDATE audit_entry SET log_index = {first} WHERE {where} = {second}",
        f"UPDATE audit_entry SET log_index = {second} WHERE {where} = -1",
    ]


@pytest.mark.parametrize(
    ("tampering", "first_bad", "problem"),
    [
        (
            lambda org: [
                f"UPDATE audit_entry SET actor_id = 'x' WHERE organisation_id = '{org}' "
                "AND log_index = 3"
            ],
            3,
            "does not match its leaf hash",
        ),
        (
            lambda org: [
                f"DELETE FROM audit_entry WHERE organisation_id = '{org}' AND log_index = 4"
            ],
            4,
            "entry 4 is missing",
        ),
        (lambda org: _swap(2, 5, org), 2, "out of order (found 5)"),
        (
            lambda org: [
                f"DELETE FROM audit_entry WHERE organisation_id = '{org}' AND log_index >= 6"
            ],
            6,
            "the log ends at 6, signed at 10",
        ),
    ],
    ids=["modified", "deleted", "reordered", "truncated"],
)
async def test_verifier_names_the_first_tampered_entry__ASVS_16_4_2_DPA_11(
    audit: Platform, producer: Producer, tampering: object, first_bad: int, problem: str
) -> None:
    organisation = await _log_of(audit, producer, 9)
    assert (await _verification(audit, organisation))["valid"] is True  # signs a checkpoint
    await entries_of(audit, organisation, 10)  # the verification is itself an entry
    await drop_guards(audit)
    await tamper(audit, *tampering(organisation))  # type: ignore[operator]
    report = await _verification(audit, organisation)
    assert report["valid"] is False
    assert report["first_bad_position"] == first_bad
    assert problem in str(report["problem"])


async def test_an_entry_inserted_behind_the_log_is_named__ASVS_16_4_2(
    audit: Platform, producer: Producer
) -> None:
    organisation = await _log_of(audit, producer, 5)
    [last] = [
        e for e in await audit.audit_entries(organisation_id=organisation) if e.log_index == 4
    ]
    forged = last.model_dump(exclude={"position"}) | {"log_index": 5, "event_id": uuid.uuid4()}
    forged["leaf_hash"] = merkle.leaf_hash(canonical(forged)).hex()
    async with audit.runtime("audit").sessions() as session, session.begin():
        session.add(type(last).model_validate(forged))
    report = await _verification(audit, organisation)
    assert report["valid"] is False
    assert report["first_bad_position"] == 5
    assert "beyond the stored tree" in str(report["problem"])


async def test_content_and_hash_rewritten_together_fail_at_the_signed_checkpoint__DPA_11(
    audit: Platform, producer: Producer
) -> None:
    organisation = await _log_of(audit, producer, 4)
    headers = reader(audit, organisation)
    first = await audit.clients["audit"].post("/audit/checkpoints", headers=headers)
    assert first.json()["size"] == 4
    await producer.send(*(event(organisation) for _ in range(4)))
    await entries_of(audit, organisation, 8)
    await audit.clients["audit"].post("/audit/checkpoints", headers=headers)
    [victim] = [
        e for e in await audit.audit_entries(organisation_id=organisation) if e.log_index == 6
    ]
    rewritten = victim.model_dump() | {"actor_id": "nobody"}
    leaf = merkle.leaf_hash(canonical(rewritten)).hex()
    await drop_guards(audit)
    await tamper(
        audit,
        f"UPDATE audit_entry SET actor_id = 'nobody', leaf_hash = '{leaf}' "
        f"WHERE position = {victim.position}",
    )
    report = await _verification(audit, organisation)
    assert report["valid"] is False
    assert report["first_bad_position"] == 4  # after the last checkpoint that still holds
    assert "does not match its signed checkpoint" in str(report["problem"])


async def test_members_and_other_organisations_cannot_verify_or_see_proofs(
    audit: Platform, producer: Producer
) -> None:
    organisation = await _log_of(audit, producer, 2)
    client = audit.clients["audit"]
    member = audit.auth(organisation, [Role.member])
    assert (await client.get("/audit/verification", headers=member)).status_code == 403
    stranger = reader(audit, str(uuid.uuid4()))
    assert (await client.get("/audit/proofs/inclusion/0", headers=stranger)).status_code == 404
    assert (await client.get("/audit/checkpoints/latest", headers=stranger)).status_code == 404


async def test_a_proof_over_a_damaged_tree_is_a_conflict_not_a_crash__ASVS_16_4_2(
    audit: Platform, producer: Producer
) -> None:
    organisation = await _log_of(audit, producer, 17)
    headers = reader(audit, organisation)
    assert (await audit.clients["audit"].get("/audit/proofs/inclusion/16", headers=headers)).json()[
        "path"
    ]
    async with owner(audit) as engine, engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            await connection.execute(text("DROP TRIGGER audit_node_no_delete"))
        else:
            await connection.execute(text("DROP TRIGGER audit_node_append_only ON audit_node"))
        await connection.execute(text("DELETE FROM audit_node"))
    response = await audit.clients["audit"].get("/audit/proofs/inclusion/16", headers=headers)
    assert response.status_code == 409
    assert "verification" in response.json()["detail"]

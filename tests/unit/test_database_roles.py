"""The rights each service's runtime role is granted (shared/database_roles.py, issue 15 item 6)."""

from typing import ClassVar

import pytest

from services.audit.store import APPEND_ONLY
from shared import migrations
from shared.database_roles import RuntimeRights
from shared.settings import ServiceSettings


class AuditLike(ServiceSettings):
    service: ClassVar[str] = "audit"


def test_no_service_role_may_truncate_reference_or_trigger__TOM_T5() -> None:
    with pytest.raises(ValueError, match="TRUNCATE"):
        RuntimeRights(default=("SELECT", "TRUNCATE"))
    with pytest.raises(ValueError, match="TRIGGER"):
        RuntimeRights(tables={"outbox": ("TRIGGER",)})
    for service in migrations.SERVICES:
        rights = migrations.runtime_rights(service)
        for table in migrations.target_metadata(service).tables:
            assert set(rights.of(table)) <= {"SELECT", "INSERT", "UPDATE", "DELETE"}


# Which audit replicas are alive (they share the partitions, services/audit/partitions.py): not
# the log but its readers' roll call, from which a replica gone for long is deleted.
REPLICA_BOOKKEEPING = frozenset({"audit_replica"})


def test_the_audit_role_only_reads_and_appends_the_log_and_deletes_none_of_its_own__TOM_T5() -> (
    None
):
    rights = migrations.runtime_rights("audit")
    for table in APPEND_ONLY:
        assert tuple(rights.of(table.name)) == ("SELECT", "INSERT"), table.name
    assert tuple(rights.default) == ("SELECT", "INSERT")  # a table added later, until declared
    for name in migrations.target_metadata("audit").tables:
        if name.startswith("audit_") and name not in REPLICA_BOOKKEEPING:
            assert "DELETE" not in rights.of(name), name
    assert tuple(rights.of("audit_replica")) == ("SELECT", "INSERT", "UPDATE", "DELETE")


def test_the_runtime_role_is_the_service_urls_user_only_beside_a_migration_url() -> None:
    alone = AuditLike(database_url="postgresql://audit_runtime:pw@db/audit")
    assert alone.runtime_role is None and alone.migration_url == alone.database_url
    both = AuditLike(
        database_url="postgresql://audit_runtime:pw@db/audit",
        migration_database_url="postgresql://audit:pw@db/audit",
    )
    assert both.runtime_role == "audit_runtime"
    assert both.migration_url == "postgresql://audit:pw@db/audit"
    same = AuditLike(
        database_url="postgresql://audit:pw@db/audit",
        migration_database_url="postgresql://audit:other@db/audit",
    )
    assert same.runtime_role is None

"""The types of the events the audit service emits.

Each is catalogued, with its payload, in shared/events/contracts/audit.py."""

PLATFORM_BACKUP_CREATED = "dpa.audit.platform_backup.created.v1"
PLATFORM_BACKUP_RESTORED = "dpa.audit.platform_backup.restored.v1"
PLATFORM_DATABASE_MIGRATED = "dpa.audit.platform_database.migrated.v1"
PLATFORM_KEY_ROTATED = "dpa.audit.platform_key.rotated.v1"
PLATFORM_KEY_REVOKED = "dpa.audit.platform_key.revoked.v1"
LOG_VIEWED = "dpa.audit.log.viewed.v1"
LOG_EXPORTED = "dpa.audit.log.exported.v1"
LOG_VERIFIED = "dpa.audit.log.verified.v1"
PROOF_VIEWED = "dpa.audit.proof.viewed.v1"
PERSONAL_DATA_DESTROYED = "dpa.audit.personal_data.destroyed.v1"
AUDIT_GRANT_USE_DENIED = "dpa.audit.grant_use.denied.v1"

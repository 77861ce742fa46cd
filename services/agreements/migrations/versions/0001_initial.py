"""The agreements schema as create_tables built it before migrations existed.

Every table and index is created only if missing, so a database that create_tables built
(an earlier version's var/agreements.db) upgrades through this revision without a row touched.

Revision ID: 0001
Revises:
Create Date: 2026-11-28 18:34:40.318191
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# PostgreSQL enum types, created once before the tables: a table created only if it is missing
# must not try to create its type again (nor one another table shares).
ENUMS: dict[str, tuple[str, ...]] = {
    "agreementstatus": ("draft", "signed", "active", "terminated", "closed"),
    "authorisation": ("specific", "general"),
    "versionstatus": ("draft", "proposed", "in_force", "superseded", "withdrawn"),
    "party": ("controller", "processor"),
    "noticedecision": ("pending", "approved", "objected", "accepted", "withdrawn"),
}


def _enum(name: str) -> sa.types.TypeEngine[str]:
    values = ENUMS[name]
    return sa.Enum(*values, name=name).with_variant(
        postgresql.ENUM(*values, name=name, create_type=False), "postgresql"
    )


def _create_enums() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for name, values in ENUMS.items():
            postgresql.ENUM(*values, name=name).create(bind, checkfirst=True)


def _drop_enums() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for name in ENUMS:
            postgresql.ENUM(name=name).drop(bind, checkfirst=True)


def upgrade() -> None:
    _create_enums()
    op.create_table(
        "agreement",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("counterparty_id", sa.Uuid(), nullable=True),
        sa.Column("controller_id", sa.Uuid(), nullable=True),
        sa.Column("processor_id", sa.Uuid(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column(
            "status",
            _enum("agreementstatus"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("authorisation", _enum("authorisation"), nullable=False),
        sa.Column("notice_days", sa.Integer(), nullable=False),
        sa.Column("silence_is_acceptance", sa.Boolean(), nullable=False),
        sa.Column("breach_notice_hours", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("terminated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("termination_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        if_not_exists=True,
    )
    op.create_index(
        op.f("ix_agreement_controller_id"),
        "agreement",
        ["controller_id"],
        unique=False,
        if_not_exists=True,
    )
    op.create_index(
        op.f("ix_agreement_counterparty_id"),
        "agreement",
        ["counterparty_id"],
        unique=False,
        if_not_exists=True,
    )
    op.create_index(
        op.f("ix_agreement_organisation_id"),
        "agreement",
        ["organisation_id"],
        unique=False,
        if_not_exists=True,
    )
    op.create_index(
        op.f("ix_agreement_processor_id"),
        "agreement",
        ["processor_id"],
        unique=False,
        if_not_exists=True,
    )
    op.create_table(
        "breach",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("processor_id", sa.Uuid(), nullable=False),
        sa.Column("reported_by", sa.String(length=200), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("aware_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("nature", sa.Text(), nullable=False),
        sa.Column("data_categories", sa.JSON(), nullable=False),
        sa.Column("data_subject_categories", sa.JSON(), nullable=False),
        sa.Column("approx_data_subjects", sa.Integer(), nullable=False),
        sa.Column("approx_records", sa.Integer(), nullable=False),
        sa.Column("consequences", sa.Text(), nullable=False),
        sa.Column("measures", sa.Text(), nullable=False),
        sa.Column("contact_point", sa.Text(), nullable=True),
        sa.Column("phase", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        if_not_exists=True,
    )
    op.create_index(
        op.f("ix_breach_processor_id"), "breach", ["processor_id"], unique=False, if_not_exists=True
    )
    op.create_table(
        "inbox",
        sa.Column("consumer", sa.String(length=100), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_id"),
        if_not_exists=True,
    )
    op.create_table(
        "outbox",
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("event_type", sa.String(), nullable=False),
        sa.Column("envelope", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("position"),
        sa.UniqueConstraint("event_id"),
        if_not_exists=True,
    )
    op.create_index(
        "ix_outbox_pending",
        "outbox",
        ["published_at", "position"],
        unique=False,
        if_not_exists=True,
    )
    op.create_table(
        "subprocessor_change",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("processor_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("replaces_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("service", sa.Text(), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=False),
        sa.Column("transfer_mechanism", sa.String(length=200), nullable=False),
        sa.Column("data_categories", sa.JSON(), nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.Column("proposed_by", sa.String(length=200), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        if_not_exists=True,
    )
    op.create_index(
        op.f("ix_subprocessor_change_processor_id"),
        "subprocessor_change",
        ["processor_id"],
        unique=False,
        if_not_exists=True,
    )
    op.create_table(
        "agreement_export",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("agreement_id", sa.Uuid(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("exported_by", sa.String(length=200), nullable=False),
        sa.Column("exported_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreement.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        if_not_exists=True,
    )
    op.create_index(
        op.f("ix_agreement_export_agreement_id"),
        "agreement_export",
        ["agreement_id"],
        unique=False,
        if_not_exists=True,
    )
    op.create_table(
        "agreement_version",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("agreement_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            _enum("versionstatus"),
            nullable=False,
        ),
        sa.Column("annex1", sa.JSON(), nullable=False),
        sa.Column("terms", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("proposed_by", sa.String(length=200), nullable=False),
        sa.Column("proposed_by_party", _enum("party"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("in_force_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreement.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("agreement_id", "number"),
        if_not_exists=True,
    )
    op.create_index(
        op.f("ix_agreement_version_agreement_id"),
        "agreement_version",
        ["agreement_id"],
        unique=False,
        if_not_exists=True,
    )
    op.create_table(
        "breach_notice",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("breach_id", sa.Uuid(), nullable=False),
        sa.Column("agreement_id", sa.Uuid(), nullable=False),
        sa.Column("controller_id", sa.Uuid(), nullable=False),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("processor_deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("processor_late", sa.Boolean(), nullable=False),
        sa.Column("authority_deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("authority_status", sa.String(length=16), nullable=False),
        sa.Column("authority_notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("authority_reason", sa.Text(), nullable=True),
        sa.Column("authority_late", sa.Boolean(), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deadline_passed", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreement.id"],
        ),
        sa.ForeignKeyConstraint(
            ["breach_id"],
            ["breach.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("breach_id", "agreement_id"),
        if_not_exists=True,
    )
    op.create_index(
        op.f("ix_breach_notice_agreement_id"),
        "breach_notice",
        ["agreement_id"],
        unique=False,
        if_not_exists=True,
    )
    op.create_index(
        op.f("ix_breach_notice_breach_id"),
        "breach_notice",
        ["breach_id"],
        unique=False,
        if_not_exists=True,
    )
    op.create_index(
        op.f("ix_breach_notice_controller_id"),
        "breach_notice",
        ["controller_id"],
        unique=False,
        if_not_exists=True,
    )
    op.create_table(
        "breach_phase",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("breach_id", sa.Uuid(), nullable=False),
        sa.Column("phase", sa.Integer(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("added_by", sa.String(length=200), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["breach_id"],
            ["breach.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("breach_id", "phase"),
        if_not_exists=True,
    )
    op.create_index(
        op.f("ix_breach_phase_breach_id"),
        "breach_phase",
        ["breach_id"],
        unique=False,
        if_not_exists=True,
    )
    op.create_table(
        "destruction_certificate",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("agreement_id", sa.Uuid(), nullable=False),
        sa.Column("statement", sa.JSON(), nullable=False),
        sa.Column("signature", sa.String(length=200), nullable=False),
        sa.Column("key_id", sa.String(length=100), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreement.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("agreement_id"),
        if_not_exists=True,
    )
    op.create_table(
        "disclosure",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("agreement_id", sa.Uuid(), nullable=False),
        sa.Column("authority", sa.String(length=200), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("prohibited_by_law", sa.Boolean(), nullable=False),
        sa.Column("controller_informed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("outcome_note", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreement.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        if_not_exists=True,
    )
    op.create_index(
        op.f("ix_disclosure_agreement_id"),
        "disclosure",
        ["agreement_id"],
        unique=False,
        if_not_exists=True,
    )
    op.create_table(
        "instruction",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("agreement_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("supersedes_id", sa.Uuid(), nullable=True),
        sa.Column("issued_by", sa.String(length=200), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_by", sa.String(length=200), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreement.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("agreement_id", "number"),
        if_not_exists=True,
    )
    op.create_index(
        op.f("ix_instruction_agreement_id"),
        "instruction",
        ["agreement_id"],
        unique=False,
        if_not_exists=True,
    )
    op.create_table(
        "measure_record",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("agreement_id", sa.Uuid(), nullable=False),
        sa.Column("measure_id", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreement.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        if_not_exists=True,
    )
    op.create_index(
        op.f("ix_measure_record_agreement_id"),
        "measure_record",
        ["agreement_id"],
        unique=False,
        if_not_exists=True,
    )
    op.create_table(
        "staff_member",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("agreement_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("user_id", sa.String(length=200), nullable=True),
        sa.Column("function", sa.String(length=200), nullable=False),
        sa.Column("confidentiality_signed_on", sa.Date(), nullable=False),
        sa.Column("gdpr_briefed", sa.Boolean(), nullable=False),
        sa.Column("added_by", sa.String(length=200), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pseudonymised_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreement.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        if_not_exists=True,
    )
    op.create_index(
        op.f("ix_staff_member_agreement_id"),
        "staff_member",
        ["agreement_id"],
        unique=False,
        if_not_exists=True,
    )
    op.create_table(
        "subprocessor_notice",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("change_id", sa.Uuid(), nullable=False),
        sa.Column("agreement_id", sa.Uuid(), nullable=False),
        sa.Column("controller_id", sa.Uuid(), nullable=False),
        sa.Column("authorisation", _enum("authorisation"), nullable=False),
        sa.Column("silence_is_acceptance", sa.Boolean(), nullable=False),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("objection_deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("window_closed", sa.Boolean(), nullable=False),
        sa.Column(
            "decision",
            _enum("noticedecision"),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreement.id"],
        ),
        sa.ForeignKeyConstraint(
            ["change_id"],
            ["subprocessor_change.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("change_id", "agreement_id"),
        if_not_exists=True,
    )
    op.create_index(
        op.f("ix_subprocessor_notice_agreement_id"),
        "subprocessor_notice",
        ["agreement_id"],
        unique=False,
        if_not_exists=True,
    )
    op.create_index(
        op.f("ix_subprocessor_notice_change_id"),
        "subprocessor_notice",
        ["change_id"],
        unique=False,
        if_not_exists=True,
    )
    op.create_index(
        op.f("ix_subprocessor_notice_controller_id"),
        "subprocessor_notice",
        ["controller_id"],
        unique=False,
        if_not_exists=True,
    )
    op.create_table(
        "agreement_signature",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version_id", sa.Uuid(), nullable=False),
        sa.Column("party", _enum("party"), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("signed_by", sa.String(length=200), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["agreement_version.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("version_id", "party"),
        if_not_exists=True,
    )
    op.create_index(
        op.f("ix_agreement_signature_version_id"),
        "agreement_signature",
        ["version_id"],
        unique=False,
        if_not_exists=True,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_agreement_signature_version_id"), table_name="agreement_signature")
    op.drop_table("agreement_signature")
    op.drop_index(op.f("ix_subprocessor_notice_controller_id"), table_name="subprocessor_notice")
    op.drop_index(op.f("ix_subprocessor_notice_change_id"), table_name="subprocessor_notice")
    op.drop_index(op.f("ix_subprocessor_notice_agreement_id"), table_name="subprocessor_notice")
    op.drop_table("subprocessor_notice")
    op.drop_index(op.f("ix_staff_member_agreement_id"), table_name="staff_member")
    op.drop_table("staff_member")
    op.drop_index(op.f("ix_measure_record_agreement_id"), table_name="measure_record")
    op.drop_table("measure_record")
    op.drop_index(op.f("ix_instruction_agreement_id"), table_name="instruction")
    op.drop_table("instruction")
    op.drop_index(op.f("ix_disclosure_agreement_id"), table_name="disclosure")
    op.drop_table("disclosure")
    op.drop_table("destruction_certificate")
    op.drop_index(op.f("ix_breach_phase_breach_id"), table_name="breach_phase")
    op.drop_table("breach_phase")
    op.drop_index(op.f("ix_breach_notice_controller_id"), table_name="breach_notice")
    op.drop_index(op.f("ix_breach_notice_breach_id"), table_name="breach_notice")
    op.drop_index(op.f("ix_breach_notice_agreement_id"), table_name="breach_notice")
    op.drop_table("breach_notice")
    op.drop_index(op.f("ix_agreement_version_agreement_id"), table_name="agreement_version")
    op.drop_table("agreement_version")
    op.drop_index(op.f("ix_agreement_export_agreement_id"), table_name="agreement_export")
    op.drop_table("agreement_export")
    op.drop_index(op.f("ix_subprocessor_change_processor_id"), table_name="subprocessor_change")
    op.drop_table("subprocessor_change")
    op.drop_index("ix_outbox_pending", table_name="outbox")
    op.drop_table("outbox")
    op.drop_table("inbox")
    op.drop_index(op.f("ix_breach_processor_id"), table_name="breach")
    op.drop_table("breach")
    op.drop_index(op.f("ix_agreement_processor_id"), table_name="agreement")
    op.drop_index(op.f("ix_agreement_organisation_id"), table_name="agreement")
    op.drop_index(op.f("ix_agreement_counterparty_id"), table_name="agreement")
    op.drop_index(op.f("ix_agreement_controller_id"), table_name="agreement")
    op.drop_table("agreement")
    _drop_enums()

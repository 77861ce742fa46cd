"""Bodies for the end of processing: the controller's choice with its legal holds, and the
signed certificate."""

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from services.agreements.lifecycle.schemas import Name


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class LegalHold(_Body):
    """What the law requires to keep, and why; a record kind (``staff``, ``instructions`` …)
    keeps those records from destruction, anything else is recorded on the certificate."""

    what: Name = Field(
        description="What must be kept: staff, instructions, disclosures, subject_requests, "
        "assistance_requests or supervision (kept from destruction), or anything else (recorded)."
    )
    why: Name = Field(description="The legal obligation to keep it.")


class Closure(_Body):
    """The controller's choice at the end of processing (DPA-13)."""

    choice: Literal["return", "destroy"] = Field(
        description="return the data to the controller, or destroy it."
    )
    legal_holds: list[LegalHold] = Field(
        default_factory=list,
        max_length=50,
        description="What the law requires the processor to keep, and why.",
    )


class AttestedItem(_Body):
    """One thing the processor destroyed or returned on its own systems (DPA-13, DPA-4b)."""

    what: Name = Field(
        description="What was destroyed or returned: which data or records.",
        examples=["customer records of the controller"],
    )
    system: Name = Field(description="Where: the system, database or site.", examples=["crm-db"])
    action: Literal["destroyed", "returned"] = Field(
        description="destroyed, or returned to the controller."
    )
    done_at: datetime = Field(description="When it was destroyed or returned (not in the future).")
    method: Name = Field(
        description="How it was destroyed or returned.",
        examples=["DROP of the tenant schema, disks wiped with NIST 800-88"],
    )
    backup: bool = Field(default=False, description="A backup copy, kept only until it expires.")
    backup_expires_at: datetime | None = Field(
        default=None, description="For a backup: when its last copy expires and is overwritten."
    )


class AttestationCreate(_Body):
    """The processor's attestation; who attests (name, role) comes from the session."""

    items: list[AttestedItem] = Field(
        min_length=1,
        max_length=100,
        description="Each thing destroyed or returned on the processor's systems, backups too.",
    )


class AttestationPublic(_Out):
    id: UUID = Field(description="The attestation's id.")
    agreement_id: UUID = Field(description="The agreement whose end it attests.")
    items: list[dict[str, Any]] = Field(
        description="Each thing destroyed or returned, as attested: what, system, action, "
        "done_at, method, backup, backup_expires_at."
    )
    attested_by: str = Field(description="The processor's user who attested.")
    attested_name: str = Field(description="The name of the person who attested.")
    attested_role: str = Field(description="That person's role at the processor.")
    attested_at: datetime = Field(description="When it was attested.")


class ClosureState(BaseModel):
    """Where the end of an agreement stands: its deadline and what it still waits for."""

    agreement_id: UUID = Field(description="The agreement.")
    terminated_at: datetime | None = Field(
        description="When the agreement was terminated; null while it has not ended."
    )
    due_at: datetime | None = Field(
        description="By when the data must be returned or destroyed; null while the agreement "
        "has not ended."
    )
    overdue: bool = Field(description="Whether the deadline passed with something outstanding.")
    outstanding: list[str] = Field(
        description="What the end still waits for: controller_choice (return or destruction) "
        "and processor_attestation; empty when done."
    )
    attestation: AttestationPublic | None = Field(
        description="The processor's attestation; null until it attests."
    )


class CertificatePublic(_Out):
    id: UUID = Field(description="The certificate's id.")
    statement: dict[str, Any] = Field(
        description="What the certificate states: the agreement, choice and holds."
    )
    signature: str = Field(description="Ed25519 over the canonical JSON of statement, base64url.")
    key_id: str = Field(description="The id of the key that signed it.")
    issued_at: datetime = Field(description="When it was issued.")
    public_key: dict[str, str] = Field(
        default_factory=dict, description="The signing key as a JWK, to verify the signature."
    )

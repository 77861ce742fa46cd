"""Request and response bodies of the agreements API: the agreement, its versions and signatures."""

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.agreements.domain import (
    AgreementStatus,
    Authorisation,
    Party,
    PrivacyNoticeReview,
    VersionStatus,
)
from shared.pagination import NEXT_CURSOR_DESCRIPTION

NO_NUL = r"^[^\x00]*$"  # PostgreSQL refuses NUL in text: refuse it at the door, not with a 500
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000, pattern=NO_NUL)]
Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=NO_NUL)
]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DataCategory(_Body):
    """A type of personal data and how long it is kept (Annex 1, TOM-T1)."""

    name: Name = Field(examples=["identificatiegegevens"])
    retention_days: int | None = Field(default=None, ge=1, le=36_500)
    retention_note: Text | None = None


class Annex1(_Body):
    """Annex 1 (DPA-1): what is processed, for how long, why and about whom."""

    subject: Text = ""
    duration: Text = ""
    nature: Text = ""
    purpose: Text = ""
    data_categories: list[DataCategory] = Field(default_factory=list, max_length=100)
    data_subject_categories: list[Name] = Field(default_factory=list, max_length=100)
    legal_basis: Text = ""


class Terms(_Body):
    """The agreement's settings for subprocessors (DPA-5) and breach notification (TOM-O4)."""

    authorisation: Authorisation = Authorisation.general
    notice_days: int = Field(default=30, ge=1, le=365)
    silence_is_acceptance: bool = Field(
        default=False, description="Whether silence at the end of the notice period is approval."
    )
    breach_notice_hours: int = Field(
        default=48, ge=1, le=720, description="Hours the processor has to notify the controller."
    )


class AgreementBase(BaseModel):
    title: str = Field(
        min_length=1, max_length=200, pattern=NO_NUL, examples=["Verwerkersovereenkomst UTOPIA"]
    )
    counterparty_id: UUID | None = Field(
        default=None, description="The other party's organisation id, if already known."
    )


class AgreementCreate(AgreementBase):
    model_config = ConfigDict(extra="forbid")

    party: Party = Field(
        default=Party.controller, description="Which party the creating organisation is."
    )
    annex1: Annex1 = Field(default_factory=Annex1)
    terms: Terms = Field(default_factory=Terms)


class DraftUpdate(_Body):
    """Edit an unsigned draft: only the parts given change."""

    title: str | None = Field(default=None, min_length=1, max_length=200, pattern=NO_NUL)
    counterparty_id: UUID | None = None
    annex1: Annex1 | None = None
    terms: Terms | None = None


class AmendmentCreate(_Body):
    reason: Name
    annex1: Annex1 | None = None
    terms: Terms | None = None


class AgreementPublic(AgreementBase):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    organisation_id: UUID
    controller_id: UUID | None
    controller_name: str | None = Field(
        description="The controller's current name in identity (a rename shows here), or null "
        "while the agreements service knows no name for it."
    )
    processor_id: UUID | None
    processor_name: str | None = Field(
        description="The processor's current name in identity (a rename shows here), or null "
        "while the agreements service knows no name for it."
    )
    status: AgreementStatus
    version: int
    terms: Terms
    annex1: Annex1
    awaiting_signature: int | None = Field(description="The version awaiting signatures, if any.")
    created_by: str
    created_at: datetime
    activated_at: datetime | None
    terminated_at: datetime | None


class AgreementList(BaseModel):
    items: list[AgreementPublic]
    next_cursor: str | None = Field(default=None, description=NEXT_CURSOR_DESCRIPTION)


class SignatureCreate(_Body):
    """The signature block of the contract (DPA-20): place ("Locatie"), the signer's name and
    capacity; the date is the moment of signing."""

    place: Name = Field(examples=["Utopia"])
    signer_name: Name = Field(examples=["Jan Janssens"])
    signer_role: Name = Field(examples=["algemeen directeur"])


class SignaturePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    party: Party
    organisation_id: UUID
    signed_by: str
    signed_at: datetime
    version_sha256: str | None = Field(
        description="SHA-256 of the version this signature signed (see VersionPublic.sha256)."
    )
    place: str | None = Field(description="Where it was signed; null on older signatures.")
    signer_name: str | None = Field(description="Who signed; null on older signatures.")
    signer_role: str | None = Field(
        description="In what capacity the signer signed; null on older signatures."
    )


class ListedSubprocessor(BaseModel):
    """A subprocessor as a signed version lists it: part of the text both parties signed."""

    change_id: UUID
    name: str
    service: str
    location: str
    transfer_mechanism: str
    data_categories: list[str]
    effective_date: date


class VersionPublic(BaseModel):
    number: int
    status: VersionStatus
    annex1: Annex1
    terms: Terms
    reason: str | None
    proposed_by_party: Party
    created_at: datetime
    in_force_at: datetime | None
    subprocessors: list[ListedSubprocessor] | None = Field(
        description="Version 1: the processor's subprocessors as listed when the first party "
        "signed (before that, the list as it stands now). Null on amendments: later changes go "
        "through notice and objection (DPA-5)."
    )
    sha256: str = Field(
        description="SHA-256 of the canonical JSON of annex1, terms and subprocessors "
        "(sorted keys, no spaces); each signature carries the digest its signer signed."
    )
    signatures: list[SignaturePublic]


class VersionList(BaseModel):
    items: list[VersionPublic]
    next_cursor: str | None = Field(default=None, description=NEXT_CURSOR_DESCRIPTION)


class Termination(_Body):
    reason: Name


# -- the processor's privacy notice (DPA-10) ----------------------------------------------------

NoticeText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000, pattern=NO_NUL)
]


class PrivacyNoticeCreate(_Body):
    """The processor's notice to the data subjects it collects data from, submitted to the
    controller beforehand (art. 10 of the contract: its content and the way it is given)."""

    text: NoticeText = Field(description="What the data subjects are told (art. 13 GDPR).")
    manner: Name = Field(
        max_length=4000,
        description="How and when they are told, e.g. on the booking form before it is sent.",
    )


class PrivacyNoticeAnswer(_Body):
    """The controller's answer: approve it, or comment (the processor submits a new version)."""

    review: PrivacyNoticeReview
    comment: Text | None = Field(
        default=None, description="What must change; required to comment, optional to approve."
    )


class PrivacyNoticePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    version: int
    text: str
    manner: str
    submitted_by: str
    submitted_at: datetime
    review: PrivacyNoticeReview | None = Field(
        description="null while it awaits the controller's answer."
    )
    comment: str | None
    reviewed_by: str | None
    reviewed_at: datetime | None


class PrivacyNoticeList(BaseModel):
    items: list[PrivacyNoticePublic] = Field(description="Newest version first.")
    next_cursor: str | None = Field(default=None, description=NEXT_CURSOR_DESCRIPTION)

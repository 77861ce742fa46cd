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

    name: Name = Field(
        examples=["identificatiegegevens"],
        description="The category of personal data, as the parties name it.",
    )
    retention_days: int | None = Field(
        default=None,
        ge=1,
        le=36_500,
        description="How many days the data is kept; null when a note says it instead.",
    )
    retention_note: Text | None = Field(
        default=None, description="How long the data is kept, in words (e.g. a legal period)."
    )


class Annex1(_Body):
    """Annex 1 (DPA-1): what is processed, for how long, why and about whom."""

    subject: Text = Field(default="", description="The subject matter of the processing.")
    duration: Text = Field(default="", description="How long the processing lasts.")
    nature: Text = Field(
        default="", description="The nature of the processing (what is done with the data)."
    )
    purpose: Text = Field(default="", description="The purpose of the processing.")
    data_categories: list[DataCategory] = Field(
        default_factory=list,
        max_length=100,
        description="The categories of personal data processed, each with its retention.",
    )
    data_subject_categories: list[Name] = Field(
        default_factory=list,
        max_length=100,
        description="The categories of data subjects the data is about.",
    )
    legal_basis: Text = Field(
        default="", description="The controller's legal basis for the processing (art. 6 GDPR)."
    )


class Terms(_Body):
    """The agreement's settings for subprocessors (DPA-5), breach notification (TOM-O4) and the
    return or destruction of the data after termination (DPA-13)."""

    authorisation: Authorisation = Field(
        default=Authorisation.general,
        description="Subprocessors: general authorisation with notice, or specific.",
    )
    notice_days: int = Field(
        default=30,
        ge=1,
        le=365,
        description="Days the controller has to object to an intended subprocessor change.",
    )
    silence_is_acceptance: bool = Field(
        default=False, description="Whether silence at the end of the notice period is approval."
    )
    breach_notice_hours: int = Field(
        default=48, ge=1, le=720, description="Hours the processor has to notify the controller."
    )
    closure_days: int | None = Field(
        default=None,
        ge=1,
        le=365,
        description="Days after termination by which the data must be returned or destroyed "
        "(DPA-13); null keeps the service's default (30 days unless configured otherwise).",
    )


class AgreementBase(BaseModel):
    title: str = Field(
        min_length=1,
        max_length=200,
        pattern=NO_NUL,
        examples=["Verwerkersovereenkomst UTOPIA"],
        description="The agreement's title, as both parties see it.",
    )
    counterparty_id: UUID | None = Field(
        default=None, description="The other party's organisation id, if already known."
    )


class AgreementCreate(AgreementBase):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "title": "Verwerkersovereenkomst UTOPIA",
                    "party": "controller",
                    "annex1": {
                        "subject": "Hosting of the population register application",
                        "duration": "For as long as the main agreement runs",
                        "nature": "Storage, backup and technical support",
                        "purpose": "Keeping the population register available to civil servants",
                        "data_categories": [
                            {"name": "identificatiegegevens", "retention_days": 3650}
                        ],
                        "data_subject_categories": ["inwoners"],
                        "legal_basis": "Art. 6(1)(e) GDPR: a task in the public interest",
                    },
                    "terms": {"authorisation": "general", "notice_days": 30},
                }
            ]
        },
    )

    party: Party = Field(
        default=Party.controller, description="Which party the creating organisation is."
    )
    annex1: Annex1 = Field(
        default_factory=Annex1,
        description="Annex 1: what is processed, why, for how long, about whom.",
    )
    terms: Terms = Field(
        default_factory=Terms, description="The subprocessor and breach-notification settings."
    )


class DraftUpdate(_Body):
    """Edit an unsigned draft: only the parts given change."""

    title: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        pattern=NO_NUL,
        description="A new title; absent keeps the current one.",
    )
    counterparty_id: UUID | None = Field(
        default=None, description="The other party's organisation id; absent keeps the current one."
    )
    annex1: Annex1 | None = Field(
        default=None, description="A new Annex 1 in full; absent keeps the current one."
    )
    terms: Terms | None = Field(
        default=None, description="New terms in full; absent keeps the current ones."
    )


class AmendmentCreate(_Body):
    reason: Name = Field(description="Why the agreement is amended, shown to the other party.")
    annex1: Annex1 | None = Field(
        default=None, description="The amended Annex 1 in full; absent keeps the one in force."
    )
    terms: Terms | None = Field(
        default=None, description="The amended terms in full; absent keeps the ones in force."
    )


class AgreementPublic(AgreementBase):
    model_config = ConfigDict(from_attributes=True)

    id: UUID = Field(description="The agreement's id.")
    organisation_id: UUID = Field(description="The organisation that created the agreement.")
    controller_id: UUID | None = Field(
        description="The controller's organisation id; null until known."
    )
    controller_name: str | None = Field(
        description="The controller's current name in identity (a rename shows here), or null "
        "while the agreements service knows no name for it."
    )
    processor_id: UUID | None = Field(
        description="The processor's organisation id; null until known."
    )
    processor_name: str | None = Field(
        description="The processor's current name in identity (a rename shows here), or null "
        "while the agreements service knows no name for it."
    )
    status: AgreementStatus = Field(
        description="Where the agreement stands: draft, signed, active, terminated, closed."
    )
    version: int = Field(description="The number of the version in force (or being drafted).")
    terms: Terms = Field(description="The terms of the version in force.")
    annex1: Annex1 = Field(description="Annex 1 of the version in force.")
    awaiting_signature: int | None = Field(description="The version awaiting signatures, if any.")
    created_by: str = Field(description="The user who created the agreement.")
    created_at: datetime = Field(description="When the agreement was created.")
    activated_at: datetime | None = Field(
        description="When both parties had signed and it came into force; else null."
    )
    terminated_at: datetime | None = Field(
        description="When the agreement was terminated; null while it runs."
    )


class AgreementList(BaseModel):
    items: list[AgreementPublic] = Field(
        description="The agreements on this page, in the list's order."
    )
    next_cursor: str | None = Field(default=None, description=NEXT_CURSOR_DESCRIPTION)


class SignatureCreate(_Body):
    """The signature block of the contract (DPA-20): place ("Locatie"), the signer's name and
    capacity; the date is the moment of signing."""

    place: Name = Field(
        examples=["Utopia"], description='Where the signer signs (the contract\'s "Locatie").'
    )
    signer_name: Name = Field(examples=["Jan Janssens"], description="The signer's full name.")
    signer_role: Name = Field(
        examples=["algemeen directeur"], description="The capacity in which the signer signs."
    )


class SignaturePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    party: Party = Field(description="The party that signed: controller or processor.")
    organisation_id: UUID = Field(description="The signing party's organisation id.")
    signed_by: str = Field(description="The user who signed.")
    signed_at: datetime = Field(description="When the version was signed.")
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

    change_id: UUID = Field(description="The subprocessor change that brought it in.")
    name: str = Field(description="The subprocessor's name.")
    service: str = Field(description="What the subprocessor does for the processor.")
    location: str = Field(description="Where the subprocessor processes the data.")
    transfer_mechanism: str = Field(
        description="How a transfer outside the EEA is safeguarded, if any."
    )
    data_categories: list[str] = Field(description="The categories of personal data it processes.")
    effective_date: date = Field(description="The date from which it processes.")


class VersionPublic(BaseModel):
    number: int = Field(description="The version's number, 1 for the first.")
    status: VersionStatus = Field(description="draft, proposed, in_force, superseded or withdrawn.")
    annex1: Annex1 = Field(description="Annex 1 as this version states it.")
    terms: Terms = Field(description="The terms as this version states them.")
    reason: str | None = Field(description="Why it was amended; null on version 1.")
    proposed_by_party: Party = Field(description="The party that proposed the version.")
    created_at: datetime = Field(description="When the version was proposed.")
    in_force_at: datetime | None = Field(
        description="When both parties had signed it; null until then."
    )
    subprocessors: list[ListedSubprocessor] | None = Field(
        description="Version 1: the processor's subprocessors as listed when the first party "
        "signed (before that, the list as it stands now). Null on amendments: later changes go "
        "through notice and objection (DPA-5)."
    )
    sha256: str = Field(
        description="SHA-256 of the canonical JSON of annex1, terms and subprocessors "
        "(sorted keys, no spaces; a term that is null is left out); each signature carries the "
        "digest its signer signed."
    )
    signatures: list[SignaturePublic] = Field(description="The signatures given to this version.")


class VersionList(BaseModel):
    items: list[VersionPublic] = Field(description="The versions on this page, oldest first.")
    next_cursor: str | None = Field(default=None, description=NEXT_CURSOR_DESCRIPTION)


class Termination(_Body):
    reason: Name = Field(description="Why the agreement ends, shown to the other party.")


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

    review: PrivacyNoticeReview = Field(
        description="approved, or commented (the processor submits anew)."
    )
    comment: Text | None = Field(
        default=None, description="What must change; required to comment, optional to approve."
    )


class PrivacyNoticePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID = Field(description="The notice version's id.")
    version: int = Field(description="The notice's version number, 1 for the first.")
    text: str = Field(description="What the data subjects are told.")
    manner: str = Field(description="How and when they are told.")
    submitted_by: str = Field(description="The processor's user who submitted it.")
    submitted_at: datetime = Field(description="When it was submitted.")
    review: PrivacyNoticeReview | None = Field(
        description="null while it awaits the controller's answer."
    )
    comment: str | None = Field(description="The controller's comment; null when none was given.")
    reviewed_by: str | None = Field(
        description="The controller's user who answered; null while it waits."
    )
    reviewed_at: datetime | None = Field(
        description="When the controller answered; null while it waits."
    )


class PrivacyNoticeList(BaseModel):
    items: list[PrivacyNoticePublic] = Field(description="Newest version first.")
    next_cursor: str | None = Field(default=None, description=NEXT_CURSOR_DESCRIPTION)

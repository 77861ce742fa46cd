"""Payloads of the events the agreements service emits.

Convention: every event about an agreement carries ``agreement_id``; created and signed carry
``controller_id`` and ``processor_id``. Events about an agreement are filed under its controller
(the owner of the data), so the processor's acts appear in the controller's audit log as supplier
interventions (TOM-T3c). Payloads name records, categories, numbers and deadlines, never personal
data values (names, contact points, free text).
"""

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from shared.event_types.agreements import (
    AGREEMENT_ACTIVATED,
    AGREEMENT_CHANGE_DENIED,
    AGREEMENT_CLOSED,
    AGREEMENT_CREATED,
    AGREEMENT_EXPORTED,
    AGREEMENT_LISTED,
    AGREEMENT_SIGNED,
    AGREEMENT_TERMINATED,
    AGREEMENT_UPDATED,
    AGREEMENT_VIEW_DENIED,
    AGREEMENT_VIEWED,
    AGREEMENTS_GRANT_USE_DENIED,
    AGREEMENTS_RETENTION_EXPIRED,
    AMENDMENT_ACCEPTED,
    AMENDMENT_PROPOSED,
    AMENDMENT_WITHDRAWN,
    AUTHORITY_NOTIFICATION_REPORTED,
    BREACH_LISTED,
    BREACH_NOTICE_EXPIRED,
    BREACH_NOTICE_ISSUED,
    BREACH_NOTICE_UPDATED,
    BREACH_REPORTED,
    BREACH_VIEWED,
    CLAIM_INTERVENTION_ANSWERED,
    CLAIM_INTERVENTION_REQUESTED,
    CLOSURE_DEADLINE_ANNOUNCED,
    CLOSURE_DEADLINE_EXPIRED,
    COMPLIANCE_REPORT_EXPORTED,
    CONTROLLER_MEASURE_CREATED,
    DESTRUCTION_ATTESTATION_SIGNED,
    DISCLOSURE_REPORTED,
    DISCLOSURE_UPDATED,
    DPIA_ASSISTANCE_ANSWERED,
    DPIA_ASSISTANCE_REQUESTED,
    INSTRUCTION_ACKNOWLEDGED,
    INSTRUCTION_CONCERN_CLOSED,
    INSTRUCTION_CONCERN_REPORTED,
    INSTRUCTION_ISSUED,
    MEASURE_REVIEW_CLOSED,
    MEASURE_REVIEW_REPORTED,
    MEASURE_UPDATED,
    PRIVACY_NOTICE_APPROVED,
    PRIVACY_NOTICE_COMMENTED,
    PRIVACY_NOTICE_PROPOSED,
    PROCESSING_RECORD_EXPORTED,
    RECORD_LISTED,
    RISK_ASSESSMENT_CREATED,
    STAFF_MEMBER_CREATED,
    STAFF_MEMBER_REMOVED,
    SUBJECT_REQUEST_ASSISTED,
    SUBJECT_REQUEST_CLOSED,
    SUBJECT_REQUEST_EXPIRED,
    SUBJECT_REQUEST_FORWARDED,
    SUBPROCESSOR_CHANGE_PROPOSED,
    SUBPROCESSOR_CHANGE_WITHDRAWN,
    SUBPROCESSOR_FLOW_DOWN_CREATED,
    SUBPROCESSOR_LISTED,
    SUBPROCESSOR_NOTICE_ACCEPTED,
    SUBPROCESSOR_NOTICE_APPROVED,
    SUBPROCESSOR_NOTICE_EXPIRED,
    SUBPROCESSOR_NOTICE_ISSUED,
    SUBPROCESSOR_NOTICE_OBJECTED,
    SUBPROCESSOR_NOTICE_WITHDRAWN,
    SUBPROCESSOR_OBJECTION_CLOSED,
)
from shared.events.contracts.identity import grant_use_refused
from shared.events.kind import EventKind


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AgreementCreated(_Payload):
    agreement_id: UUID
    counterparty_id: UUID | None = None
    controller_id: UUID | None = None
    processor_id: UUID | None = None


class AgreementViewed(_Payload):
    agreement_id: UUID
    fields: list[str] = Field(description="The fields returned to the reader, not their values.")


class AgreementAccessRefused(_Payload):
    """Someone asked for an agreement of another organisation and was answered as if it did not
    exist (TOM-T3c): filed in the log of the organisation whose agreement it is, at most once a
    minute per actor and agreement. Names the agreement, never what was sent."""

    agreement_id: UUID = Field(description="The agreement that was asked for.")
    method: Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"] = Field(
        description="The HTTP method of the refused request: a read or an attempted change."
    )
    status: Literal[403, 404] = Field(description="The answer the caller got (always generic).")


class AgreementsListed(_Payload):
    agreement_ids: list[UUID]


class AgreementChanged(_Payload):
    agreement_id: UUID
    version: int
    fields: list[str] = Field(description="Which parts changed, not their values.")


class AgreementSigned(_Payload):
    agreement_id: UUID
    version: int
    party: Literal["controller", "processor"]
    controller_id: UUID
    processor_id: UUID
    fully_signed: bool = Field(description="True once both parties signed this version.")
    version_sha256: str | None = Field(
        default=None,
        description="SHA-256 of the version signed: Annex 1, terms and the subprocessors listed.",
    )


class AgreementStatusChanged(_Payload):
    agreement_id: UUID
    status: str
    version: int
    processor_id: UUID | None = Field(
        default=None, description="The agreement's processor, so that it is told too."
    )


class AmendmentProposed(_Payload):
    agreement_id: UUID
    version: int
    fields: list[str]
    processor_id: UUID | None = Field(
        default=None, description="The agreement's processor, so that it is told too."
    )


class AmendmentInForce(_Payload):
    agreement_id: UUID
    version: int
    superseded_version: int
    processor_id: UUID | None = Field(
        default=None, description="The agreement's processor, so that it is told too."
    )


class AmendmentWithdrawn(_Payload):
    agreement_id: UUID
    version: int
    party: Literal["controller", "processor"]


class RecordsRead(_Payload):
    """A read of records that belong to one agreement (TOM-T3a): which records, never values."""

    agreement_id: UUID
    record: str
    record_ids: list[UUID] = Field(default_factory=list)


class InstructionIssued(_Payload):
    agreement_id: UUID
    instruction_id: UUID
    number: int
    supersedes_id: UUID | None = None
    processor_id: UUID | None = Field(
        default=None, description="The agreement's processor, so that it is told too."
    )


class InstructionAcknowledged(_Payload):
    agreement_id: UUID
    instruction_id: UUID
    number: int


class InstructionConcernRaised(_Payload):
    """The processor believes an instruction infringes the GDPR; it is on hold (DPA-14). The
    reason stays in the agreement's records, never in the event."""

    agreement_id: UUID
    instruction_id: UUID
    number: int
    controller_id: UUID
    processor_id: UUID


class InstructionConcernAnswered(_Payload):
    """The controller confirmed, amended or withdrew an instruction the processor flagged."""

    agreement_id: UUID
    instruction_id: UUID
    number: int
    outcome: Literal["confirmed", "amended", "withdrawn"]
    replacement_id: UUID | None = Field(
        default=None, description="The new instruction that replaces it, when amended."
    )
    controller_id: UUID
    processor_id: UUID


class PrivacyNoticeSubmitted(_Payload):
    """The processor submitted a version of its privacy notice to the controller (DPA-10). The
    text stays in the agreement's records, never in the event."""

    agreement_id: UUID
    notice_id: UUID
    version: int
    controller_id: UUID
    processor_id: UUID


class PrivacyNoticeReviewed(_Payload):
    """The controller approved a version of the processor's privacy notice, or commented on it
    (the processor then submits a new version). The comment stays in the records."""

    agreement_id: UUID
    notice_id: UUID
    version: int
    review: Literal["approved", "commented"]
    controller_id: UUID
    processor_id: UUID


class SubjectRequestForwarded(_Payload):
    """A data subject's request reached the processor and is forwarded to the controller, with
    the processor's deadline to assist and the controller's month to answer (DPA-15). Who asked
    and what stays in the agreement's records."""

    agreement_id: UUID
    request_id: UUID
    number: int
    right: str = Field(description="access, rectification, erasure, restriction, portability …")
    received_at: datetime
    due_at: datetime = Field(description="The processor's assistance is due by then.")
    answer_by: datetime = Field(description="The controller answers the data subject by then.")
    controller_id: UUID
    processor_id: UUID


class SubjectRequestStep(_Payload):
    """The processor gave its assistance (``late`` if after ``due_at``), the controller closed
    the request (``outcome``), or the deadline passed without assistance (DPA-15)."""

    agreement_id: UUID
    request_id: UUID
    number: int
    due_at: datetime
    late: bool | None = None
    outcome: Literal["answered", "refused", "withdrawn"] | None = None
    controller_id: UUID
    processor_id: UUID


class AssistanceRequestStep(_Payload):
    """The controller asked the processor's help (a DPIA or a prior consultation, DPA-16; an
    intervention in a data subject's claim, DPA-19), or the processor answered (``intervenes``
    for a claim). The question and the answer stay in the agreement's records."""

    agreement_id: UUID
    request_id: UUID
    number: int
    kind: Literal["dpia", "prior_consultation", "claim"]
    due_on: date | None = None
    intervenes: bool | None = None
    controller_id: UUID
    processor_id: UUID


class SubprocessorChangeProposed(_Payload):
    change_id: UUID
    processor_id: UUID
    kind: Literal["add", "replace"]
    replaces_id: UUID | None = None
    effective_date: date
    data_categories: list[str]
    agreement_ids: list[UUID]


class SubprocessorChangeWithdrawn(_Payload):
    change_id: UUID
    processor_id: UUID
    agreement_ids: list[UUID]


class SubprocessorNoticeIssued(_Payload):
    """A controller is told of an intended subprocessor change (DPA-5, USE-3)."""

    agreement_id: UUID
    notice_id: UUID
    change_id: UUID
    processor_id: UUID
    controller_id: UUID
    kind: Literal["add", "replace"]
    authorisation: Literal["general", "specific"]
    # The change as registered, so the notice is evidence of exactly what was proposed
    # (a company, its service and location: no personal data).
    subprocessor: str = Field(max_length=200)
    service: str = Field(max_length=200)
    location: str = Field(max_length=200)
    transfer_mechanism: str = Field(max_length=200)
    effective_date: date
    data_categories: list[str]
    objection_deadline: datetime | None = Field(
        description="Until when the controller can object; None under specific authorisation."
    )
    silence_is_acceptance: bool


class SubprocessorNoticeDecided(_Payload):
    agreement_id: UUID
    notice_id: UUID
    change_id: UUID
    decision: str
    deemed: bool = Field(default=False, description="True when silence at the deadline decided.")


class SubprocessorObjectionResolved(_Payload):
    """How the processor closed a controller's objection (DPA-5); the objection stays on record."""

    agreement_id: UUID
    notice_id: UUID
    change_id: UUID
    outcome: Literal["agreement_ended", "processing_moved", "change_withdrawn"]


class SubprocessorFlowDownRecorded(_Payload):
    """The processor recorded its agreement with a subprocessor (DPA-17); no reference or text."""

    change_id: UUID
    processor_id: UUID
    flow_down_id: UUID
    signed_on: date
    transfers_outside_eea: bool


class SubprocessorsListed(_Payload):
    processor_id: UUID
    change_ids: list[UUID]


class BreachReported(_Payload):
    """The processor's report of a personal-data breach (TOM-O4, art. 33(2)); no personal data."""

    breach_id: UUID
    processor_id: UUID
    aware_at: datetime
    data_categories: list[str]
    data_subject_categories: list[str]
    approx_data_subjects: int
    approx_records: int
    agreement_ids: list[UUID]


class BreachNoticeIssued(_Payload):
    """One controller is notified of a breach; its 72-hour clock starts (art. 33(1), USE-3)."""

    agreement_id: UUID
    breach_id: UUID
    notice_id: UUID
    processor_id: UUID
    controller_id: UUID
    aware_at: datetime
    notified_at: datetime
    processor_deadline: datetime
    processor_late: bool
    authority_deadline: datetime
    data_categories: list[str]
    data_subject_categories: list[str]
    approx_data_subjects: int
    approx_records: int
    phase: int = 1


class BreachUpdated(_Payload):
    agreement_id: UUID
    breach_id: UUID
    notice_id: UUID
    phase: int
    fields: list[str]


class AuthorityNotificationRecorded(_Payload):
    agreement_id: UUID
    breach_id: UUID
    notice_id: UUID
    notified_authority: bool
    notified_at: datetime | None
    late: bool


class AuthorityDeadlinePassed(_Payload):
    agreement_id: UUID
    breach_id: UUID
    notice_id: UUID
    authority_deadline: datetime


class BreachRead(_Payload):
    breach_id: UUID
    agreement_ids: list[UUID] = Field(description="The agreements whose notices were shown.")
    fields: list[str]


class BreachesListed(_Payload):
    breach_ids: list[UUID]


class MeasureUpdated(_Payload):
    agreement_id: UUID
    measure_id: str
    status: str
    previous_status: str | None = Field(
        default=None, description="Its status before this statement (DPA-18: a change is told)."
    )
    controller_id: UUID | None = None


class ControllerMeasureRecorded(_Payload):
    """The controller recorded a measure of its own (DPA-18); its text stays in the records."""

    agreement_id: UUID
    controller_measure_id: UUID


class MeasureReviewStep(_Payload):
    """The controller reviewed an Annex 2 measure of the processor, or closed that review
    (DPA-18). The reviewer, the finding and the follow-up stay in the agreement's records."""

    agreement_id: UUID
    review_id: UUID
    measure_id: str
    reviewed_on: date
    follow_up_due_on: date | None = None
    controller_id: UUID
    processor_id: UUID


class RiskAssessmentRecorded(_Payload):
    """A risk assessment of the processing was recorded (DPA-18): how many risks, at which
    level, and how many no Annex 2 measure addresses; the risks themselves stay in the records."""

    agreement_id: UUID
    risk_assessment_id: UUID
    reviewed_on: date
    risks: int
    high_risks: int
    unaddressed: int


class StaffMemberChanged(_Payload):
    agreement_id: UUID
    staff_member_id: UUID
    confidentiality_signed_on: date | None = None


class DisclosureRecorded(_Payload):
    """A legally required disclosure demand (DPA-4a); authority and scope stay out of events."""

    agreement_id: UUID
    disclosure_id: UUID
    controller_informed: bool
    prohibited_by_law: bool


class DisclosureOutcome(_Payload):
    agreement_id: UUID
    disclosure_id: UUID
    outcome: str


class AgreementExported(_Payload):
    agreement_id: UUID
    sha256: str
    files: list[str]


class AgreementClosed(_Payload):
    agreement_id: UUID
    choice: Literal["return", "destroy"]
    certificate_id: UUID
    destroyed: dict[str, int]
    legal_holds: int


class DestructionAttested(_Payload):
    """A named admin of the processor attested what it destroyed or returned on its own systems
    and backups (DPA-13, DPA-4b); what and where stay in the certificate, not in the event."""

    agreement_id: UUID
    attestation_id: UUID
    controller_id: UUID
    processor_id: UUID
    items: int
    backups: int
    backups_expire_by: datetime | None
    certificate_id: UUID | None = Field(
        default=None, description="The certificate signed anew with it, once the agreement closed."
    )


class ClosureDeadlineStep(_Payload):
    """The return-or-destruction deadline approaches or passed with the end still open."""

    agreement_id: UUID
    controller_id: UUID
    processor_id: UUID
    terminated_at: datetime
    due_at: datetime
    outstanding: list[str]


class RetentionApplied(_Payload):
    agreement_id: UUID
    record: str = Field(
        description="The kind of record: staff_member, breach, subject_request (DPA-15) or "
        "assistance_request (DPA-16, DPA-19)."
    )
    record_id: UUID
    action: Literal["pseudonymised", "deleted"] = Field(
        description="pseudonymised: a name replaced by a pseudonym; deleted: the personal data "
        "(a contact point, a record's free text) removed. The record's facts stay."
    )
    categories: list[str] = Field(
        default_factory=list,
        description="The Annex 1 categories of personal data the record concerns, whose longest "
        "period applied (TOM-T1, DPA-4b); empty when a fixed setting applied.",
    )
    kept_days: int | None = Field(
        default=None,
        description="The days the record was kept after it ended; null for a fixed setting.",
    )


class ComplianceReportExported(_Payload):
    agreement_id: UUID
    sections: list[str]
    requirements: list[str]


class ProcessingRecordExported(_Payload):
    processor_id: UUID
    agreement_ids: list[UUID]


def _kind(
    name: str, payload: type[BaseModel], requirements: tuple[str, ...], summary: str
) -> EventKind:
    return EventKind(type=name, payload=payload, requirements=requirements, summary=summary)


# A refused request for another organisation's agreement, by what it tried (TOM-T3c).
ACCESS_REFUSED = {
    "view": AGREEMENT_VIEW_DENIED,
    "change": AGREEMENT_CHANGE_DENIED,
}

KINDS = (
    EventKind(
        type=ACCESS_REFUSED["view"],
        payload=AgreementAccessRefused,
        requirements=("TOM-T3c", "TOM-T3a"),
        summary="Someone of another organisation tried to read an agreement and was refused.",
    ),
    EventKind(
        type=ACCESS_REFUSED["change"],
        payload=AgreementAccessRefused,
        requirements=("TOM-T3c", "TOM-T3a"),
        summary="Someone of another organisation tried to change an agreement and was refused.",
    ),
    EventKind(
        type=AGREEMENT_CREATED,
        payload=AgreementCreated,
        requirements=("DPA-1", "TOM-T3a"),
        summary="A draft data-processing agreement was created.",
    ),
    EventKind(
        type=AGREEMENT_VIEWED,
        payload=AgreementViewed,
        requirements=("TOM-T3a", "DPA-11"),
        summary="An agreement was read; names the fields returned, never their values.",
    ),
    EventKind(
        type=AGREEMENT_LISTED,
        payload=AgreementsListed,
        requirements=("TOM-T3a",),
        summary="A list of agreements was read.",
    ),
    _kind(
        AGREEMENT_UPDATED,
        AgreementChanged,
        ("DPA-1", "TOM-T3a"),
        "A draft's Annex 1 or terms were edited before anyone signed.",
    ),
    _kind(
        AGREEMENT_SIGNED,
        AgreementSigned,
        ("DPA-1", "DPA-5"),
        "One party signed a version of the agreement (draft or amendment).",
    ),
    _kind(
        AGREEMENT_ACTIVATED,
        AgreementStatusChanged,
        ("DPA-1",),
        "A signed agreement became active.",
    ),
    _kind(
        AGREEMENT_TERMINATED,
        AgreementStatusChanged,
        ("DPA-13", "DPA-4b"),
        "An agreement was terminated; return or destruction follows.",
    ),
    _kind(
        AMENDMENT_PROPOSED,
        AmendmentProposed,
        ("DPA-1",),
        "A party proposed an amendment; the signed version stays in force until both sign.",
    ),
    _kind(
        AMENDMENT_ACCEPTED,
        AmendmentInForce,
        ("DPA-1",),
        "Both parties signed an amendment; it superseded the previous version.",
    ),
    _kind(
        AMENDMENT_WITHDRAWN,
        AmendmentWithdrawn,
        ("DPA-1",),
        "A party withdrew or declined an amendment before both signed; the version in force stays.",
    ),
    _kind(
        RECORD_LISTED,
        RecordsRead,
        ("TOM-T3a", "DPA-11"),
        "Records of an agreement (versions, instructions, notices, measures...) were read.",
    ),
    _kind(
        INSTRUCTION_ISSUED,
        InstructionIssued,
        ("DPA-1",),
        "The controller issued a documented instruction.",
    ),
    _kind(
        INSTRUCTION_ACKNOWLEDGED,
        InstructionAcknowledged,
        ("DPA-1",),
        "The processor acknowledged an instruction.",
    ),
    _kind(
        INSTRUCTION_CONCERN_REPORTED,
        InstructionConcernRaised,
        ("DPA-14",),
        "The processor flagged an instruction as infringing the GDPR; it is on hold.",
    ),
    _kind(
        INSTRUCTION_CONCERN_CLOSED,
        InstructionConcernAnswered,
        ("DPA-14",),
        "The controller confirmed, amended or withdrew an instruction the processor flagged.",
    ),
    _kind(
        PRIVACY_NOTICE_PROPOSED,
        PrivacyNoticeSubmitted,
        ("DPA-10",),
        "The processor submitted its privacy notice to the controller for approval.",
    ),
    _kind(
        PRIVACY_NOTICE_APPROVED,
        PrivacyNoticeReviewed,
        ("DPA-10",),
        "The controller approved the processor's privacy notice.",
    ),
    _kind(
        PRIVACY_NOTICE_COMMENTED,
        PrivacyNoticeReviewed,
        ("DPA-10",),
        "The controller commented on the processor's privacy notice; a new version follows.",
    ),
    _kind(
        SUBJECT_REQUEST_FORWARDED,
        SubjectRequestForwarded,
        ("DPA-15",),
        "The processor forwarded a data subject's request to the controller, with deadlines.",
    ),
    _kind(
        SUBJECT_REQUEST_ASSISTED,
        SubjectRequestStep,
        ("DPA-15",),
        "The processor gave its assistance with a data subject's request.",
    ),
    _kind(
        SUBJECT_REQUEST_CLOSED,
        SubjectRequestStep,
        ("DPA-15",),
        "The controller closed a data subject's request.",
    ),
    _kind(
        SUBJECT_REQUEST_EXPIRED,
        SubjectRequestStep,
        ("DPA-15",),
        "The processor's deadline to assist with a data subject's request passed.",
    ),
    _kind(
        DPIA_ASSISTANCE_REQUESTED,
        AssistanceRequestStep,
        ("DPA-16",),
        "The controller asked the processor's help with a DPIA or a prior consultation.",
    ),
    _kind(
        DPIA_ASSISTANCE_ANSWERED,
        AssistanceRequestStep,
        ("DPA-16",),
        "The processor answered a request for help with a DPIA or a prior consultation.",
    ),
    _kind(
        CLAIM_INTERVENTION_REQUESTED,
        AssistanceRequestStep,
        ("DPA-19",),
        "The controller asked the processor to intervene in a data subject's claim.",
    ),
    _kind(
        CLAIM_INTERVENTION_ANSWERED,
        AssistanceRequestStep,
        ("DPA-19",),
        "The processor answered whether it intervenes in a data subject's claim.",
    ),
    _kind(
        SUBPROCESSOR_CHANGE_PROPOSED,
        SubprocessorChangeProposed,
        ("DPA-5", "DPA-4a"),
        "A processor proposed adding or replacing a subprocessor.",
    ),
    _kind(
        SUBPROCESSOR_CHANGE_WITHDRAWN,
        SubprocessorChangeWithdrawn,
        ("DPA-5",),
        "A processor withdrew a proposed subprocessor change.",
    ),
    _kind(
        SUBPROCESSOR_NOTICE_ISSUED,
        SubprocessorNoticeIssued,
        ("DPA-5", "USE-3"),
        "A controller was told of an intended subprocessor change, with its objection deadline.",
    ),
    _kind(
        SUBPROCESSOR_NOTICE_APPROVED,
        SubprocessorNoticeDecided,
        ("DPA-5",),
        "A controller approved a subprocessor change for one agreement.",
    ),
    _kind(
        SUBPROCESSOR_NOTICE_OBJECTED,
        SubprocessorNoticeDecided,
        ("DPA-5", "USE-3"),
        "A controller objected to a subprocessor change; it is blocked for that agreement.",
    ),
    _kind(
        SUBPROCESSOR_NOTICE_ACCEPTED,
        SubprocessorNoticeDecided,
        ("DPA-5",),
        "The objection window closed in silence where the agreement deems that acceptance.",
    ),
    _kind(
        SUBPROCESSOR_NOTICE_EXPIRED,
        SubprocessorNoticeDecided,
        ("DPA-5", "USE-3"),
        "The objection window closed in silence; the change still needs explicit approval.",
    ),
    _kind(
        SUBPROCESSOR_NOTICE_WITHDRAWN,
        SubprocessorNoticeDecided,
        ("DPA-5", "USE-3"),
        "The processor withdrew a change; it will not take effect for this agreement.",
    ),
    _kind(
        SUBPROCESSOR_OBJECTION_CLOSED,
        SubprocessorObjectionResolved,
        ("DPA-5",),
        "The processor recorded how a controller's objection was closed: the agreement ended or "
        "the controller's processing moved where the subprocessor plays no part.",
    ),
    _kind(
        SUBPROCESSOR_FLOW_DOWN_CREATED,
        SubprocessorFlowDownRecorded,
        ("DPA-17", "DPA-5"),
        "A processor recorded its flow-down agreement with a subprocessor.",
    ),
    _kind(
        SUBPROCESSOR_LISTED,
        SubprocessorsListed,
        ("TOM-T3a", "DPA-5"),
        "A processor's subprocessor list and its history were read.",
    ),
    _kind(
        BREACH_REPORTED,
        BreachReported,
        ("TOM-O4", "DPA-6"),
        "A processor reported a personal-data breach (art. 33(2)).",
    ),
    _kind(
        BREACH_NOTICE_ISSUED,
        BreachNoticeIssued,
        ("TOM-O4", "USE-3"),
        "A controller was notified of a breach; its 72-hour clock started (art. 33(1)).",
    ),
    _kind(
        BREACH_NOTICE_UPDATED,
        BreachUpdated,
        ("TOM-O4", "USE-3"),
        "A breach report was completed in a further phase (art. 33(4)).",
    ),
    _kind(
        AUTHORITY_NOTIFICATION_REPORTED,
        AuthorityNotificationRecorded,
        ("TOM-O4",),
        "A controller recorded whether and when it notified its supervisory authority.",
    ),
    _kind(
        BREACH_NOTICE_EXPIRED,
        AuthorityDeadlinePassed,
        ("TOM-O4", "USE-3"),
        "A controller's 72 hours passed without a recorded decision on the authority.",
    ),
    _kind(
        BREACH_VIEWED,
        BreachRead,
        ("TOM-T3a", "TOM-O4"),
        "A breach report was read; names the fields returned, never their values.",
    ),
    _kind(
        BREACH_LISTED,
        BreachesListed,
        ("TOM-T3a", "TOM-O4"),
        "A list of breach reports was read.",
    ),
    _kind(
        STAFF_MEMBER_CREATED,
        StaffMemberChanged,
        ("DPA-8", "DPA-9"),
        "The processor listed a staff member or department with access, with its commitment.",
    ),
    _kind(
        STAFF_MEMBER_REMOVED,
        StaffMemberChanged,
        ("DPA-8",),
        "The processor withdrew a staff member's or department's access.",
    ),
    _kind(
        DISCLOSURE_REPORTED,
        DisclosureRecorded,
        ("DPA-4a", "USE-3"),
        "The processor recorded a legally required disclosure demand.",
    ),
    _kind(
        DISCLOSURE_UPDATED,
        DisclosureOutcome,
        ("DPA-4a",),
        "The outcome of a disclosure demand was recorded.",
    ),
    _kind(
        AGREEMENT_EXPORTED,
        AgreementExported,
        ("DPA-13", "TOM-T4", "DPA-11", "TOM-T3a"),
        "Everything held for an agreement was exported (return of data, or evidence).",
    ),
    _kind(
        AGREEMENT_CLOSED,
        AgreementClosed,
        ("DPA-13", "DPA-4b"),
        "Processing ended: data returned or destroyed, a signed destruction certificate issued.",
    ),
    _kind(
        DESTRUCTION_ATTESTATION_SIGNED,
        DestructionAttested,
        ("DPA-13", "DPA-4b"),
        "A named admin of the processor attested what it destroyed or returned on its own "
        "systems and backups; pactum signs it into the certificate.",
    ),
    _kind(
        CLOSURE_DEADLINE_ANNOUNCED,
        ClosureDeadlineStep,
        ("DPA-13", "DPA-4b"),
        "The deadline to return or destroy the data of a terminated agreement approaches.",
    ),
    _kind(
        CLOSURE_DEADLINE_EXPIRED,
        ClosureDeadlineStep,
        ("DPA-13", "DPA-4b"),
        "The deadline to return or destroy the data of a terminated agreement passed with the "
        "end still open: the agreement is overdue.",
    ),
    _kind(
        AGREEMENTS_RETENTION_EXPIRED,
        RetentionApplied,
        ("TOM-T1", "TOM-32a", "DPA-4b"),
        "Personal data held past its retention was pseudonymised or deleted.",
    ),
    _kind(
        COMPLIANCE_REPORT_EXPORTED,
        ComplianceReportExported,
        ("DPA-11", "TOM-T3a"),
        "A compliance report of an agreement was downloaded (by a party or its auditor).",
    ),
    _kind(
        PROCESSING_RECORD_EXPORTED,
        ProcessingRecordExported,
        ("DPA-11", "TOM-T3a"),
        "A processor read its record of processing per controller (art. 30(2) GDPR).",
    ),
    _kind(
        MEASURE_UPDATED,
        MeasureUpdated,
        ("DPA-6", "DPA-18"),
        "The processor set the status and evidence of an Annex 2 measure.",
    ),
    _kind(
        CONTROLLER_MEASURE_CREATED,
        ControllerMeasureRecorded,
        ("DPA-18",),
        "The controller recorded a measure of its own.",
    ),
    _kind(
        MEASURE_REVIEW_REPORTED,
        MeasureReviewStep,
        ("DPA-18",),
        "The controller reviewed an Annex 2 measure of the processor and recorded its finding.",
    ),
    _kind(
        MEASURE_REVIEW_CLOSED,
        MeasureReviewStep,
        ("DPA-18",),
        "The controller closed its review of an Annex 2 measure.",
    ),
    _kind(
        RISK_ASSESSMENT_CREATED,
        RiskAssessmentRecorded,
        ("DPA-18",),
        "A risk assessment of the processing was recorded against Annex 2.",
    ),
    grant_use_refused(AGREEMENTS_GRANT_USE_DENIED),
)

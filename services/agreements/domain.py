"""Rules of a data-processing agreement that hold whatever stores or transports it.

An agreement binds a controller ("het bestuur") and a processor ("de verwerker"). Its text is a
series of versions: version 1 is the draft both parties sign; every later change is an amendment,
a new version that comes into force only when both parties signed it. A signed version is never
overwritten (DPA-1).
"""

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from enum import StrEnum
from typing import Any
from uuid import UUID

from shared.event_types.identity import USER_DISABLED, USER_REMOVED


class AgreementStatus(StrEnum):
    """An agreement's lifecycle: draft, signed by both parties, active, terminated, closed."""

    draft = "draft"
    signed = "signed"
    active = "active"
    terminated = "terminated"
    closed = "closed"


class Party(StrEnum):
    controller = "controller"
    processor = "processor"


class VersionStatus(StrEnum):
    draft = "draft"  # version 1 before both signed
    proposed = "proposed"  # an amendment awaiting signatures
    in_force = "in_force"
    superseded = "superseded"
    withdrawn = "withdrawn"  # an amendment one party withdrew or declined before both signed


class Authorisation(StrEnum):
    """DPA-5: prior written authorisation for subprocessors, specific or general."""

    specific = "specific"
    general = "general"


class AgreementRuleBroken(ValueError):
    """A request the agreement's rules refuse; the message says what to change (422)."""


class StateConflict(AgreementRuleBroken):
    """A step the agreement's current state does not allow (409), e.g. signing twice."""


class NotFound(LookupError):
    """No such record for the caller's organisation (404); the same as a missing one."""

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} not found")


class NotAllowed(PermissionError):
    """The caller's organisation is not the party that may take this step (403)."""


LIVE = frozenset({AgreementStatus.signed, AgreementStatus.active})
# The processor may still hold the data, and its obligations (breach notification included, art.
# 13 of the contract) last, until return or destruction is certified: that is what closes it.
HOLDING_DATA = LIVE | {AgreementStatus.terminated}
AMENDABLE = LIVE
ENDED = frozenset({AgreementStatus.terminated, AgreementStatus.closed})

# The lifecycle as a table: (status, step) -> next status; ``after_signature`` does signing.
TRANSITIONS: Mapping[tuple[AgreementStatus, str], AgreementStatus] = {
    (AgreementStatus.signed, "activate"): AgreementStatus.active,
    (AgreementStatus.signed, "terminate"): AgreementStatus.terminated,
    (AgreementStatus.active, "terminate"): AgreementStatus.terminated,
    (AgreementStatus.terminated, "close"): AgreementStatus.closed,
}

ANNEX1_FIELDS = (
    "subject",
    "duration",
    "nature",
    "purpose",
    "data_categories",
    "data_subject_categories",
    "legal_basis",
)


def normalise_title(title: str) -> str:
    """Collapse whitespace; a title is what both parties will recognise the agreement by."""
    cleaned = " ".join(title.split())
    if not cleaned:
        raise AgreementRuleBroken("title must contain visible characters")
    return cleaned


def check_counterparty(*, own_organisation: str, counterparty: str | None) -> None:
    """An agreement binds two different organisations."""
    if counterparty is not None and counterparty == own_organisation:
        raise AgreementRuleBroken("counterparty_id must be another organisation than your own")


class OrganisationKind(StrEnum):
    """What identity created an organisation as; only controllers and processors are parties."""

    controller = "controller"
    processor = "processor"
    operator = "operator"


def other_party(party: Party) -> Party:
    return Party.processor if party is Party.controller else Party.controller


def check_own_kind(*, own_party: Party, own_kind: OrganisationKind | None) -> None:
    """The caller's organisation may only state the party its kind is.

    An organisation the directory does not know yet (identity's ``organisation.created`` not
    consumed yet) is refused as a conflict to retry, never let through unchecked.
    """
    if own_kind is None:
        raise StateConflict(
            "your organisation is not known to the agreements service yet: try again shortly"
        )
    if own_kind.value != own_party.value:
        raise AgreementRuleBroken(
            f"party: your organisation's kind is {own_kind}: it cannot be the {own_party} of an "
            "agreement"
        )


def check_counterparty_kind(
    *, own_party: Party, counterparty_kind: OrganisationKind | None
) -> None:
    """The counterparty must be a known organisation of the other party's kind.

    Unknown and wrong kind get the same sentence: the answer never tells whether an id exists.
    """
    wanted = other_party(own_party)
    if counterparty_kind is None or counterparty_kind.value != wanted.value:
        raise AgreementRuleBroken(
            f"counterparty_id is not an organisation that can be the {wanted} of this agreement"
        )


def parties(
    *, own_organisation: str, own_party: Party, counterparty: str | None
) -> tuple[str | None, str | None]:
    """(controller id, processor id) from the creator's stated party and the counterparty."""
    if own_party is Party.controller:
        return own_organisation, counterparty
    return counterparty, own_organisation


def party_of(*, organisation: str, controller: str | None, processor: str | None) -> Party | None:
    if organisation == controller:
        return Party.controller
    if organisation == processor:
        return Party.processor
    return None


def require_party(
    wanted: Party, *, organisation: str, controller: str | None, processor: str | None
) -> None:
    """Only the named party's organisation may take this step (e.g. only the processor reports)."""
    if party_of(organisation=organisation, controller=controller, processor=processor) != wanted:
        raise NotAllowed(f"only the {wanted} may do this")


def step(status: AgreementStatus, action: str) -> AgreementStatus:
    """The status after ``action``, or a conflict that names the current status."""
    try:
        return TRANSITIONS[(status, action)]
    except KeyError:
        raise StateConflict(f"cannot {action} an agreement that is {status}") from None


def missing_annex1_fields(annex1: Mapping[str, Any]) -> list[str]:
    """Annex 1 fields still empty; a version with gaps cannot be signed (DPA-1)."""
    return [name for name in ANNEX1_FIELDS if not annex1.get(name)]


def check_can_sign(
    *,
    status: AgreementStatus,
    version_status: VersionStatus,
    signed_by: Iterable[Party],
    party: Party,
    controller: str | None,
    processor: str | None,
    annex1: Mapping[str, Any],
) -> None:
    if controller is None or processor is None:
        raise StateConflict("both parties must be known before signing: set counterparty_id")
    if status in ENDED:
        raise StateConflict(f"cannot sign an agreement that is {status}")
    if version_status not in {VersionStatus.draft, VersionStatus.proposed}:
        raise StateConflict("there is no version awaiting signature")
    if party in set(signed_by):
        raise StateConflict(f"the {party} already signed version")
    missing = missing_annex1_fields(annex1)
    if missing:
        raise AgreementRuleBroken(f"Annex 1 is incomplete: fill in {', '.join(missing)}")


def fully_signed(signed_by: Iterable[Party]) -> bool:
    return set(signed_by) == {Party.controller, Party.processor}


def after_signature(status: AgreementStatus, *, fully: bool) -> AgreementStatus:
    """A draft becomes signed once both parties signed; an amendment leaves the status alone."""
    if status is AgreementStatus.draft and fully:
        return AgreementStatus.signed
    return status


def check_can_edit_draft(*, status: AgreementStatus, signatures: int) -> None:
    """Only an unsigned draft is edited in place; anything signed changes by amendment."""
    if status is not AgreementStatus.draft:
        raise StateConflict(f"the agreement is {status}: propose an amendment instead")
    if signatures:
        raise StateConflict("a party already signed this draft: it can no longer be edited")


def check_can_amend(*, status: AgreementStatus, open_amendment: bool) -> None:
    if status is AgreementStatus.draft:
        raise StateConflict("edit the draft itself: amendments apply to signed agreements")
    if status not in AMENDABLE:
        raise StateConflict(f"cannot amend an agreement that is {status}")
    if open_amendment:
        raise StateConflict("an amendment is already awaiting signatures")


def check_live(status: AgreementStatus, *, action: str) -> None:
    """Instructions, notices and reports apply to agreements both parties signed and not ended."""
    if status not in LIVE:
        raise StateConflict(f"cannot {action} on an agreement that is {status}")


def check_not_ended(status: AgreementStatus, *, action: str) -> None:
    if status in ENDED:
        raise StateConflict(f"cannot {action} on an agreement that is {status}")


def categories_touched(
    agreement_categories: Iterable[str], breach_categories: Iterable[str]
) -> bool:
    """Whether a breach touches data this agreement covers (case- and space-insensitive)."""
    ours = {" ".join(c.lower().split()) for c in agreement_categories}
    return any(" ".join(c.lower().split()) in ours for c in breach_categories)


def category_names(annex1: Mapping[str, Any]) -> list[str]:
    """The data categories of an Annex 1 (each entry is a mapping with a ``name``)."""
    return [str(entry["name"]) for entry in annex1.get("data_categories") or []]


def subprocessors_in_force(
    changes: Sequence[tuple[UUID, UUID | None, date, bool]], *, today: date
) -> set[UUID]:
    """Which changes are in force: (id, replaces id, effective date, agreed) per change.

    A change is in force once agreed (approved, or accepted in silence where the agreement says
    so) and its effective date has come; a replacement in force ends the one it replaces.
    """
    live = {cid for cid, _, effective, agreed in changes if agreed and effective <= today}
    replaced = {rid for cid, rid, _, _ in changes if cid in live and rid is not None}
    return live - replaced


def version_digest(
    *,
    annex1: Mapping[str, Any],
    terms: Mapping[str, Any],
    subprocessors: Sequence[Mapping[str, Any]] | None,
) -> str:
    """SHA-256 of what a version says: Annex 1, the terms and the subprocessors listed in it.

    Canonical JSON (sorted keys, no spaces, UTF-8), so anyone can recompute it from the version
    as the API shows it; each signature carries the digest of what its signer signed (DPA-5).
    A term that is null (an optional term left unset) is left out, as if absent: a version signed
    before that term existed keeps its digest when the API shows the term as null.
    """
    stated = {name: value for name, value in terms.items() if value is not None}
    text = json.dumps(
        {"annex1": annex1, "terms": stated, "subprocessors": subprocessors},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(text.encode()).hexdigest()


class ObjectionOutcome(StrEnum):
    """How the processor closed a controller's objection to a subprocessor change (DPA-5).

    The controller's objection stands; what the processor did about it is recorded beside it:
    it ended the agreement, it moved this controller's processing to where the subprocessor plays
    no part, or it withdrew the change for everyone.
    """

    agreement_ended = "agreement_ended"
    processing_moved = "processing_moved"
    change_withdrawn = "change_withdrawn"


def check_can_resolve_objection(
    *, status: AgreementStatus, objected: bool, resolved: bool, outcome: ObjectionOutcome
) -> None:
    """The processor records the outcome of a standing objection once, and it must be true."""
    if not objected:
        raise StateConflict("there is no objection to resolve for this agreement")
    if resolved:
        raise StateConflict("the objection is already resolved")
    if outcome is ObjectionOutcome.change_withdrawn:
        raise AgreementRuleBroken(
            "outcome: withdraw the change itself (POST /subprocessor-changes/{id}/withdrawal)"
        )
    if outcome is ObjectionOutcome.agreement_ended and status not in ENDED:
        raise StateConflict("terminate the agreement first: it is still " + str(status))
    if outcome is ObjectionOutcome.processing_moved and status not in LIVE:
        raise StateConflict(f"cannot move the processing of an agreement that is {status}")


def check_flow_down(
    *, signed_on: date, today: date, outside_eea: bool, countries: Sequence[str], basis: str | None
) -> None:
    """A flow-down agreement (art. 28(4), DPA-17) is dated and names its transfers' basis."""
    if signed_on > today:
        raise AgreementRuleBroken("signed_on lies in the future")
    if outside_eea and (not countries or not basis):
        raise AgreementRuleBroken(
            "a transfer outside the EEA names its countries and its basis (transfer_basis)"
        )
    if not outside_eea and (countries or basis):
        raise AgreementRuleBroken(
            "transfer_countries and transfer_basis are for transfers outside the EEA only"
        )


class ConcernAnswer(StrEnum):
    """The controller's answer to the processor's concern that an instruction infringes the GDPR
    (art. 28(3), last subparagraph; DPA-14): it stands by it, replaces it, or drops it."""

    confirmed = "confirmed"
    amended = "amended"
    withdrawn = "withdrawn"


class InstructionStanding(StrEnum):
    in_effect = "in_effect"
    on_hold = "on_hold"  # the processor flagged it; the controller has not answered yet
    withdrawn = "withdrawn"


def instruction_standing(
    *, concern_raised: bool, answer: ConcernAnswer | None
) -> InstructionStanding:
    """An instruction the processor flagged is on hold until the controller answers; withdrawn
    or amended (replaced by a new instruction) it no longer applies; confirmed it does."""
    if concern_raised and answer is None:
        return InstructionStanding.on_hold
    if answer in (ConcernAnswer.withdrawn, ConcernAnswer.amended):
        return InstructionStanding.withdrawn
    return InstructionStanding.in_effect


def check_can_raise_concern(
    *, status: AgreementStatus, concern_raised: bool, answer: ConcernAnswer | None
) -> None:
    check_not_ended(status, action="flag an instruction")
    if answer in (ConcernAnswer.withdrawn, ConcernAnswer.amended):
        raise StateConflict("the instruction no longer applies: it was " + str(answer))
    if concern_raised:
        raise StateConflict("a concern about this instruction was already raised")


def check_can_answer_concern(
    *,
    concern_raised: bool,
    answer: ConcernAnswer | None,
    outcome: ConcernAnswer,
    new_text: str | None,
) -> None:
    if not concern_raised:
        raise StateConflict("the processor raised no concern about this instruction")
    if answer is not None:
        raise StateConflict(f"the concern was already answered: {answer}")
    if (outcome is ConcernAnswer.amended) != bool(new_text):
        raise AgreementRuleBroken(
            "text: an amendment gives the new instruction's text, and only an amendment does"
        )


class PrivacyNoticeReview(StrEnum):
    """The controller's answer to the privacy notice the processor submitted (art. 10 of the
    contract, DPA-10): approved, or commented on (the processor then submits a new version)."""

    approved = "approved"
    commented = "commented"


def check_can_submit_privacy_notice(
    *, status: AgreementStatus, both_parties_known: bool, awaiting_answer: bool
) -> None:
    """The processor submits its notice to the controller beforehand, one version at a time."""
    check_not_ended(status, action="submit a privacy notice")
    if not both_parties_known:
        raise StateConflict("both parties must be known first: set counterparty_id")
    if awaiting_answer:
        raise StateConflict(
            "the previous version still awaits the controller's answer: wait for it"
        )


def check_can_review_privacy_notice(
    *,
    status: AgreementStatus,
    newest: bool,
    earlier: PrivacyNoticeReview | None,
    review: PrivacyNoticeReview,
    comment: str | None,
) -> None:
    check_not_ended(status, action="review a privacy notice")
    if not newest:
        raise StateConflict("a newer version of this privacy notice exists: answer that one")
    if earlier is not None:
        raise StateConflict(f"this version was already answered: {earlier}")
    if review is PrivacyNoticeReview.commented and not comment:
        raise AgreementRuleBroken("comment: say what the processor must change")


def check_privacy_notice_approved(*, submitted: bool, newest: PrivacyNoticeReview | None) -> None:
    """Processing starts (the agreement is activated) only once the controller approved the
    newest version of the privacy notice, where the processor collects data from the data
    subjects and submitted one (DPA-10)."""
    if submitted and newest is not PrivacyNoticeReview.approved:
        raise StateConflict(
            "processing cannot start yet: the controller has not approved the newest version "
            "of the processor's privacy notice (DPA-10)"
        )


# DPA-8: the staff with access follow identity. When identity stops letting a user act (disabled
# or removed), every staff entry of their organisation that names that user ends with it. A
# re-enabled user does not come back by itself: the processor lists them again.
ACCESS_ENDING_IDENTITY_EVENTS = frozenset({USER_DISABLED, USER_REMOVED})
IDENTITY_SOURCE = "/dpa/identity"


def processor_losing_access(*, event_type: str, source: str, tenant: str) -> UUID | None:
    """The organisation whose staff entries for the event's user end, or None to ignore it.

    Only identity's disabled and removed events end access; their tenant is the user's own
    organisation, which is the processor of the agreements that list them. An event of another
    source or filed under no organisation (``platform``) ends nothing.
    """
    if event_type not in ACCESS_ENDING_IDENTITY_EVENTS or source != IDENTITY_SOURCE:
        return None
    try:
        return UUID(tenant)
    except ValueError:
        return None

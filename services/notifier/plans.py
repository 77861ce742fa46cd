"""Which notices an event calls for, to whom, and which deadline clocks it opens or closes."""

from collections.abc import Callable
from typing import Any

from services.notifier import account_notices as account
from services.notifier import duty_notices as duty
from services.notifier import notices as agreement
from services.notifier.notices import Plan
from shared.events import Envelope


def plan_for(event: Envelope) -> Plan:
    """The notices and clock changes ``event`` calls for (none for most events)."""
    short = event.type.removeprefix("dpa.").rsplit(".", 1)[0]
    handler = PLANS.get(short)
    return handler(event, event.data) if handler else Plan()


def planned_subjects() -> list[str]:
    """The stream subjects of the events :data:`PLANS` has a plan for, under every tenant
    (``dpa.*.<service>.<entity>.<verb>``): the notifier's durable consumer takes only these, so
    reads and the other events it has nothing to do with never reach it."""
    return sorted(f"dpa.*.{kind}" for kind in PLANS)


PLANS: dict[str, Callable[[Envelope, dict[str, Any]], Plan]] = {
    "agreements.breach_notice.issued": agreement.on_breach,
    "agreements.breach_notice.updated": agreement.on_breach_update,
    "agreements.authority_notification.reported": agreement.on_authority_recorded,
    "agreements.breach_notice.expired": agreement.on_authority_deadline_passed,
    "agreements.subprocessor_notice.issued": agreement.on_subprocessor_notice,
    **{
        f"agreements.subprocessor_notice.{verb}": agreement.on_subprocessor_outcome
        for verb in ("approved", "objected", "accepted", "expired", "withdrawn")
    },
    "agreements.agreement.signed": agreement.on_agreement_signed,
    "agreements.instruction.issued": agreement.on_instruction_issued,
    "agreements.instruction_concern.reported": agreement.on_instruction_concern,
    "agreements.instruction_concern.closed": agreement.on_instruction_concern,
    **{
        f"agreements.privacy_notice.{verb}": duty.on_privacy_notice
        for verb in ("proposed", "approved", "commented")
    },
    **{
        f"agreements.subject_request.{verb}": duty.on_subject_request
        for verb in ("forwarded", "assisted", "closed", "expired")
    },
    **{
        f"agreements.{entity}.{verb}": duty.on_assistance_request
        for entity in ("dpia_assistance", "claim_intervention")
        for verb in ("requested", "answered")
    },
    **{
        f"agreements.{name}": duty.on_end_of_processing
        for name in (
            "destruction_attestation.signed",
            "closure_deadline.announced",
            "closure_deadline.expired",
        )
    },
    "agreements.measure.updated": duty.on_measure_stated,
    "agreements.measure_review.reported": duty.on_measure_review,
    "agreements.measure_review.closed": duty.on_measure_review,
    "agreements.disclosure.reported": agreement.on_disclosure,
    "agreements.disclosure.updated": agreement.on_disclosure,
    **{
        f"agreements.{name}": agreement.on_agreement_changed
        for name in (
            "agreement.activated",
            "agreement.terminated",
            "amendment.proposed",
            "amendment.accepted",
        )
    },
    "identity.account.locked": account.on_account_locked,
    "identity.mfa.enrolled": account.on_mfa,
    "identity.mfa.reset": account.on_mfa,
    "identity.passkey.registered": account.on_mfa,
    "identity.passkey.removed": account.on_mfa,
    "identity.recovery_code.issued": account.on_recovery_codes,
    "identity.password.updated": account.on_password,
    "identity.password.reset": account.on_password,
    "identity.login.succeeded": account.on_sign_in,
    "identity.grant.requested": account.on_grant_requested,
    **{
        f"identity.grant.{verb}": account.on_grant_changed
        for verb in ("approved", "denied", "revoked", "expired")
    },
    "identity.maintenance_notice.sent": account.on_maintenance,
    "identity.user.invited": account.on_link("invitation"),
    "identity.password_reset.requested": account.on_link("password_reset"),
    "identity.email_change.requested": account.on_link("email_change"),
    "identity.email.updated": account.on_email_changed,
}

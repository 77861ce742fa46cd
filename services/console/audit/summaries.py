"""What each kind of audit entry means, in words a person reads: the event catalogue's
summaries as messages of the console, so they are shown in Dutch, French or English.

``tests/unit/test_console_audit_words.py`` keeps this list in step with
``shared.events.catalogue``; a type missing here is shown with the catalogue's English words.
"""

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
from shared.event_types.audit import (
    AUDIT_GRANT_USE_DENIED,
    LOG_EXPORTED,
    LOG_VERIFIED,
    LOG_VIEWED,
    PERSONAL_DATA_DESTROYED,
    PLATFORM_BACKUP_CREATED,
    PLATFORM_BACKUP_RESTORED,
    PLATFORM_DATABASE_MIGRATED,
    PLATFORM_KEY_REVOKED,
    PLATFORM_KEY_ROTATED,
    PROOF_VIEWED,
)
from shared.event_types.identity import (
    ACCOUNT_LOCKED,
    ACCOUNT_UNLOCKED,
    EMAIL_CHANGE_REQUESTED,
    EMAIL_UPDATED,
    FEDERATED_LOGIN_SUCCEEDED,
    GRANT_ACTIVATED,
    GRANT_APPROVED,
    GRANT_CHANGE_DENIED,
    GRANT_DENIED,
    GRANT_EXPIRED,
    GRANT_LISTED,
    GRANT_REQUESTED,
    GRANT_REVOKED,
    IDENTITY_GRANT_USE_DENIED,
    IDENTITY_RETENTION_EXPIRED,
    IDP_CONNECTED,
    IDP_DISCONNECTED,
    INVITATION_ACCEPTED,
    LINK_ISSUED,
    LINK_VIEWED,
    LOGIN_FAILED,
    LOGIN_SUCCEEDED,
    MAINTENANCE_NOTICE_CHANGE_DENIED,
    MAINTENANCE_NOTICE_LISTED,
    MAINTENANCE_NOTICE_OBJECTED,
    MAINTENANCE_NOTICE_SENT,
    MFA_ENROLLED,
    MFA_RESET,
    ORGANISATION_ANNOUNCED,
    ORGANISATION_CHANGE_DENIED,
    ORGANISATION_CREATED,
    ORGANISATION_DISABLED,
    ORGANISATION_ENABLED,
    ORGANISATION_LISTED,
    ORGANISATION_UPDATED,
    ORGANISATION_VIEW_DENIED,
    ORGANISATION_VIEWED,
    PASSKEY_CHANGE_DENIED,
    PASSKEY_LISTED,
    PASSKEY_REGISTERED,
    PASSKEY_REMOVED,
    PASSKEY_UPDATED,
    PASSWORD_RESET,
    PASSWORD_RESET_REQUESTED,
    PASSWORD_UPDATED,
    POLICY_UPDATED,
    POLICY_VIEWED,
    RECOVERY_CODE_ISSUED,
    SESSION_CHANGE_DENIED,
    SESSION_LISTED,
    SESSION_REVOKED,
    SESSION_UPDATED,
    SESSION_VERIFIED,
    SIGNING_KEY_CREATED,
    SIGNING_KEY_REVOKED,
    USER_CHANGE_DENIED,
    USER_DISABLED,
    USER_ENABLED,
    USER_INVITED,
    USER_LISTED,
    USER_REMOVED,
    USER_ROLE_UPDATED,
    USER_VIEW_DENIED,
    USER_VIEWED,
)
from shared.event_types.notifier import (
    CONTACT_CREATED,
    CONTACT_DELETED,
    DELIVERY_DELIVERED,
    DELIVERY_FAILED,
    DELIVERY_REQUESTED,
    ENDPOINT_CREATED,
    ENDPOINT_DELETED,
    ENDPOINT_DISABLED,
    ENDPOINT_UPDATED,
    INBOX_ITEM_UPDATED,
    NOTICE_ACKNOWLEDGED,
    NOTICE_FAILED,
    NOTICE_ISSUED,
    NOTIFIER_GRANT_USE_DENIED,
    NOTIFIER_RETENTION_EXPIRED,
    ORGANISATION_SETTINGS_UPDATED,
    PREFERENCE_UPDATED,
    RECEIPT_LISTED,
    RECIPIENT_LISTED,
)


def _(message: str) -> str:
    """Marks a message for the catalogue; translated when the page is rendered."""
    return message


SUMMARIES: dict[str, str] = {
    ORGANISATION_CREATED: _("An organisation was created by an operator."),
    ORGANISATION_UPDATED: _("An operator renamed an organisation."),
    ORGANISATION_DISABLED: _(
        "An operator disabled an organisation (its contract ended): it enters no new agreement."
    ),
    ORGANISATION_ENABLED: _("An operator enabled a disabled organisation again."),
    ORGANISATION_ANNOUNCED: _(
        "Identity re-stated an existing organisation (id, kind, name, status) on an operator's request, for services that must learn organisations created before they started."  # noqa: E501
    ),
    POLICY_UPDATED: _("An organisation's password, MFA or lockout policy changed."),
    POLICY_VIEWED: _("An organisation's security policy was read."),
    USER_INVITED: _("A user was invited; the notifier delivers the invitation link."),
    INVITATION_ACCEPTED: _("An invited user chose their own password."),
    USER_DISABLED: _("A user was disabled; their sessions ended."),
    USER_ENABLED: _("A disabled user was re-enabled."),
    USER_REMOVED: _("A user was removed from the organisation."),
    USER_ROLE_UPDATED: _("A user's role changed."),
    USER_VIEWED: _("A user's record was read."),
    USER_LISTED: _("An organisation's user list was read."),
    LINK_ISSUED: _("A one-time link was handed to the notifier for delivery."),
    LOGIN_SUCCEEDED: _("A user logged in; a session started."),
    LOGIN_FAILED: _("A login attempt failed (the caller saw a generic error)."),
    ACCOUNT_LOCKED: _(
        "An account was locked after repeated failures; user and admins are notified."
    ),
    ACCOUNT_UNLOCKED: _("A locked account was released."),
    MFA_ENROLLED: _("A user confirmed a second factor."),
    IDP_CONNECTED: _(
        "An admin connected the organisation's own identity provider or changed its settings."
    ),
    IDP_DISCONNECTED: _("An admin disconnected the organisation's own identity provider."),
    FEDERATED_LOGIN_SUCCEEDED: _(
        "A user signed in through the organisation's own identity provider."
    ),
    PASSKEY_REGISTERED: _(
        "A user registered a passkey; the user is notified at their verified address."
    ),
    PASSKEY_UPDATED: _("A user renamed one of their passkeys."),
    PASSKEY_REMOVED: _(
        "A user removed one of their passkeys; the user is notified at their verified address."
    ),
    PASSKEY_LISTED: _("A user read the list of their own passkeys."),
    SESSION_VERIFIED: _(
        "A user proved themselves again in a session (step-up) before a sensitive change."
    ),
    MFA_RESET: _("An admin removed a user's second factor."),
    RECOVERY_CODE_ISSUED: _("Single-use recovery codes were issued (stored hashed)."),
    PASSWORD_UPDATED: _("A user changed their own password."),
    EMAIL_CHANGE_REQUESTED: _(
        "A user asked to sign in with another e-mail address; a link went to that address."
    ),
    EMAIL_UPDATED: _(
        "A user's sign-in e-mail address changed; the new and the former address were told."
    ),
    PASSWORD_RESET_REQUESTED: _("A password reset was requested; the notifier delivers the link."),
    PASSWORD_RESET: _("A password was reset through a one-time link; all sessions ended."),
    SESSION_REVOKED: _("Sessions ended; every service rejects their tokens from now on."),
    SESSION_LISTED: _("A user read the list of their own live sessions."),
    SESSION_UPDATED: _("A session's refresh token rotated."),
    GRANT_REQUESTED: _("An operator asked a customer for time-boxed access to its data."),
    GRANT_APPROVED: _(
        "A customer approved a supplier access grant (or a maintenance notice covered it)."
    ),
    GRANT_DENIED: _("A customer denied a supplier access grant."),
    GRANT_REVOKED: _("A customer revoked a supplier access grant; tokens under it are refused."),
    GRANT_EXPIRED: _("A supplier access grant reached its end."),
    GRANT_ACTIVATED: _("An operator took a token under a grant (a supplier intervention starts)."),
    GRANT_LISTED: _("Supplier access grants were read."),
    MAINTENANCE_NOTICE_SENT: _("The operator announced a maintenance window to a customer."),
    SIGNING_KEY_CREATED: _("A token signing key was created (rotation)."),
    IDENTITY_RETENTION_EXPIRED: _(
        "Failed sign-ins' client addresses past their retention period were deleted."
    ),
    SIGNING_KEY_REVOKED: _(
        "A token signing key was revoked at once; tokens it signed are refused everywhere."
    ),
    LINK_VIEWED: _("An invitation or reset link was previewed by its holder (not used)."),
    ORGANISATION_VIEWED: _("An organisation's record (id, name, kind, status) was read."),
    ORGANISATION_LISTED: _("The operator read a page of the list of organisations."),
    MAINTENANCE_NOTICE_OBJECTED: _(
        "A customer's admin objected to a maintenance notice; the grants it covered ended."
    ),
    MAINTENANCE_NOTICE_LISTED: _(
        "Maintenance notices were read (by the customer they were sent to, or the operator)."
    ),
    AGREEMENT_CREATED: _("A draft data-processing agreement was created."),
    AGREEMENT_VIEWED: _("An agreement was read; names the fields returned, never their values."),
    AGREEMENT_LISTED: _("A list of agreements was read."),
    AGREEMENT_UPDATED: _("A draft's Annex 1 or terms were edited before anyone signed."),
    AGREEMENT_SIGNED: _("One party signed a version of the agreement (draft or amendment)."),
    AGREEMENT_ACTIVATED: _("A signed agreement became active."),
    AGREEMENT_TERMINATED: _("An agreement was terminated; return or destruction follows."),
    AMENDMENT_PROPOSED: _(
        "A party proposed an amendment; the signed version stays in force until both sign."
    ),
    AMENDMENT_ACCEPTED: _("Both parties signed an amendment; it superseded the previous version."),
    AMENDMENT_WITHDRAWN: _(
        "A party withdrew or declined an amendment before both signed; the version in force stays."
    ),
    RECORD_LISTED: _(
        "Records of an agreement (versions, instructions, notices, measures...) were read."
    ),
    INSTRUCTION_ISSUED: _("The controller issued a documented instruction."),
    INSTRUCTION_ACKNOWLEDGED: _("The processor acknowledged an instruction."),
    SUBPROCESSOR_CHANGE_PROPOSED: _("A processor proposed adding or replacing a subprocessor."),
    SUBPROCESSOR_CHANGE_WITHDRAWN: _("A processor withdrew a proposed subprocessor change."),
    SUBPROCESSOR_NOTICE_ISSUED: _(
        "A controller was told of an intended subprocessor change, with its objection deadline."
    ),
    SUBPROCESSOR_NOTICE_APPROVED: _(
        "A controller approved a subprocessor change for one agreement."
    ),
    SUBPROCESSOR_NOTICE_OBJECTED: _(
        "A controller objected to a subprocessor change; it is blocked for that agreement."
    ),
    SUBPROCESSOR_NOTICE_ACCEPTED: _(
        "The objection window closed in silence where the agreement deems that acceptance."
    ),
    SUBPROCESSOR_NOTICE_EXPIRED: _(
        "The objection window closed in silence; the change still needs explicit approval."
    ),
    SUBPROCESSOR_NOTICE_WITHDRAWN: _(
        "The processor withdrew a change; it will not take effect for this agreement."
    ),
    PRIVACY_NOTICE_PROPOSED: _(
        "The processor submitted its privacy notice to the controller for approval."
    ),
    PRIVACY_NOTICE_APPROVED: _("The controller approved the processor's privacy notice."),
    PRIVACY_NOTICE_COMMENTED: _(
        "The controller commented on the processor's privacy notice; a new version follows."
    ),
    SUBJECT_REQUEST_FORWARDED: _(
        "The processor forwarded a data subject's request to the controller, with deadlines."
    ),
    SUBJECT_REQUEST_ASSISTED: _("The processor gave its assistance with a data subject's request."),
    SUBJECT_REQUEST_CLOSED: _("The controller closed a data subject's request."),
    SUBJECT_REQUEST_EXPIRED: _(
        "The processor's deadline to assist with a data subject's request passed."
    ),
    DPIA_ASSISTANCE_REQUESTED: _(
        "The controller asked the processor's help with a DPIA or a prior consultation."
    ),
    DPIA_ASSISTANCE_ANSWERED: _(
        "The processor answered a request for help with a DPIA or a prior consultation."
    ),
    CLAIM_INTERVENTION_REQUESTED: _(
        "The controller asked the processor to intervene in a data subject's claim."
    ),
    CLAIM_INTERVENTION_ANSWERED: _(
        "The processor answered whether it intervenes in a data subject's claim."
    ),
    INSTRUCTION_CONCERN_REPORTED: _(
        "The processor flagged an instruction as infringing the GDPR; it is on hold."
    ),
    INSTRUCTION_CONCERN_CLOSED: _(
        "The controller confirmed, amended or withdrew an instruction the processor flagged."
    ),
    SUBPROCESSOR_OBJECTION_CLOSED: _(
        "The processor recorded how a controller's objection was closed: the agreement ended or "
        "the controller's processing moved where the subprocessor plays no part."
    ),
    SUBPROCESSOR_FLOW_DOWN_CREATED: _(
        "A processor recorded its flow-down agreement with a subprocessor."
    ),
    SUBPROCESSOR_LISTED: _("A processor's subprocessor list and its history were read."),
    BREACH_REPORTED: _("A processor reported a personal-data breach (art. 33(2))."),
    BREACH_NOTICE_ISSUED: _(
        "A controller was notified of a breach; its 72-hour clock started (art. 33(1))."
    ),
    BREACH_NOTICE_UPDATED: _("A breach report was completed in a further phase (art. 33(4))."),
    AUTHORITY_NOTIFICATION_REPORTED: _(
        "A controller recorded whether and when it notified its supervisory authority."
    ),
    BREACH_NOTICE_EXPIRED: _(
        "A controller's 72 hours passed without a recorded decision on the authority."
    ),
    BREACH_VIEWED: _("A breach report was read; names the fields returned, never their values."),
    BREACH_LISTED: _("A list of breach reports was read."),
    STAFF_MEMBER_CREATED: _(
        "The processor listed a staff member or department with access, with its commitment."
    ),
    STAFF_MEMBER_REMOVED: _("The processor withdrew a staff member's or department's access."),
    DISCLOSURE_REPORTED: _("The processor recorded a legally required disclosure demand."),
    DISCLOSURE_UPDATED: _("The outcome of a disclosure demand was recorded."),
    AGREEMENT_EXPORTED: _(
        "Everything held for an agreement was exported (return of data, or evidence)."
    ),
    AGREEMENT_CLOSED: _(
        "Processing ended: data returned or destroyed, a signed destruction certificate issued."
    ),
    DESTRUCTION_ATTESTATION_SIGNED: _(
        "A named admin of the processor attested what it destroyed or returned on its own "
        "systems and backups; pactum signs it into the certificate."
    ),
    CLOSURE_DEADLINE_ANNOUNCED: _(
        "The deadline to return or destroy the data of a terminated agreement approaches."
    ),
    CLOSURE_DEADLINE_EXPIRED: _(
        "The deadline to return or destroy the data of a terminated agreement passed with the "
        "end still open: the agreement is overdue."
    ),
    AGREEMENTS_RETENTION_EXPIRED: _(
        "Personal data held past its retention was pseudonymised or deleted."
    ),
    COMPLIANCE_REPORT_EXPORTED: _(
        "A compliance report of an agreement was downloaded (by a party or its auditor)."
    ),
    PROCESSING_RECORD_EXPORTED: _(
        "A processor read its record of processing per controller (art. 30(2) GDPR)."
    ),
    MEASURE_UPDATED: _("The processor set the status and evidence of an Annex 2 measure."),
    CONTROLLER_MEASURE_CREATED: _("The controller recorded a measure of its own."),
    MEASURE_REVIEW_REPORTED: _(
        "The controller reviewed an Annex 2 measure of the processor and recorded its finding."
    ),
    MEASURE_REVIEW_CLOSED: _("The controller closed its review of an Annex 2 measure."),
    RISK_ASSESSMENT_CREATED: _("A risk assessment of the processing was recorded against Annex 2."),
    LOG_VIEWED: _("An organisation's audit log was read."),
    LOG_EXPORTED: _("An organisation's audit log was exported."),
    LOG_VERIFIED: _("An organisation's audit log was verified against its signed checkpoint."),
    PROOF_VIEWED: _("An inclusion or consistency proof of an organisation's log was read."),
    PERSONAL_DATA_DESTROYED: _(
        "Keys sealing personal data in the log were destroyed (erasure or retention)."
    ),
    AGREEMENT_VIEW_DENIED: _(
        "Someone of another organisation tried to read an agreement and was refused."
    ),
    AGREEMENT_CHANGE_DENIED: _(
        "Someone of another organisation tried to change an agreement and was refused."
    ),
    USER_VIEW_DENIED: _("Someone of another organisation tried to read a user and was refused."),
    USER_CHANGE_DENIED: _(
        "Someone of another organisation tried to change a user and was refused."
    ),
    ORGANISATION_VIEW_DENIED: _(
        "Someone of another organisation tried to read an organisation and was refused."
    ),
    ORGANISATION_CHANGE_DENIED: _(
        "Someone of another organisation tried to change an organisation and was refused."
    ),
    GRANT_CHANGE_DENIED: _(
        "Someone of another organisation tried to decide on a supplier access grant and was "
        "refused."
    ),
    MAINTENANCE_NOTICE_CHANGE_DENIED: _(
        "Someone of another organisation tried to object to a maintenance notice and was refused."
    ),
    PASSKEY_CHANGE_DENIED: _(
        "Someone of another organisation tried to change a user's passkey and was refused."
    ),
    SESSION_CHANGE_DENIED: _(
        "Someone of another organisation tried to end a user's session and was refused."
    ),
    **dict.fromkeys(
        (
            IDENTITY_GRANT_USE_DENIED,
            AGREEMENTS_GRANT_USE_DENIED,
            AUDIT_GRANT_USE_DENIED,
            NOTIFIER_GRANT_USE_DENIED,
        ),
        _("An operator tried to use an access grant that had ended and was refused."),
    ),
    PLATFORM_BACKUP_CREATED: _(
        "The operator backed up the platform's databases (and event stream)."
    ),
    PLATFORM_BACKUP_RESTORED: _(
        "The operator restored the platform from a backup; recorded after the restore."
    ),
    PLATFORM_DATABASE_MIGRATED: _(
        "The operator migrated the platform's databases to their latest schema."
    ),
    PLATFORM_KEY_ROTATED: _("The operator rotated a platform key (token, checkpoint or ingest)."),
    PLATFORM_KEY_REVOKED: _(
        "The operator rotated the token key and revoked every earlier key at once."
    ),
    "dpa.external.record.viewed.v1": _(
        "One of the processor's other applications viewed a controller's record."
    ),
    "dpa.external.record.listed.v1": _(
        "One of the processor's other applications listed a controller's record."
    ),
    "dpa.external.record.exported.v1": _(
        "One of the processor's other applications exported a controller's record."
    ),
    "dpa.external.record.created.v1": _(
        "One of the processor's other applications created a controller's record."
    ),
    "dpa.external.record.updated.v1": _(
        "One of the processor's other applications updated a controller's record."
    ),
    "dpa.external.record.deleted.v1": _(
        "One of the processor's other applications deleted a controller's record."
    ),
    RECEIPT_LISTED: _("The notifier's receipts of an organisation were read."),
    CONTACT_CREATED: _("An organisation registered a contact for notices of some topics."),
    CONTACT_DELETED: _("An organisation removed a contact."),
    ENDPOINT_CREATED: _("An organisation registered a signed webhook endpoint."),
    ENDPOINT_UPDATED: _("A webhook endpoint's secret was rotated or the endpoint re-enabled."),
    ENDPOINT_DELETED: _("An organisation removed a webhook endpoint."),
    ENDPOINT_DISABLED: _(
        "A webhook endpoint was disabled after repeated failures; its owner was told."
    ),
    RECIPIENT_LISTED: _(
        "Contacts, endpoints, deliveries, inbox items or sink mail of an organisation were read."
    ),
    PREFERENCE_UPDATED: _(
        "A user changed which non-critical notices reach them on which channels."
    ),
    ORGANISATION_SETTINGS_UPDATED: _(
        "An organisation's admin changed the default language of its notices."
    ),
    NOTICE_FAILED: _(
        "A notice reached nobody (no recipient, or every delivery failed): an operator alert."
    ),
    NOTICE_ISSUED: _(
        "A notice was addressed to an organisation's recipients (delivery rows written)."
    ),
    DELIVERY_DELIVERED: _(
        "A notice was accepted by the SMTP server, the webhook receiver or the inbox."
    ),
    DELIVERY_FAILED: _(
        "An attempt to deliver a notice failed (bounce, refusal, timeout); retry time if any."
    ),
    DELIVERY_REQUESTED: _("An organisation asked to replay a delivery."),
    NOTICE_ACKNOWLEDGED: _("A controller's user acknowledged receipt of a notice thread."),
    INBOX_ITEM_UPDATED: _("A user marked an in-app notice as read."),
    NOTIFIER_RETENTION_EXPIRED: _(
        "Deliveries and inbox items past their retention lost their address and text, or were "
        "deleted; one event per organisation and run."
    ),
}

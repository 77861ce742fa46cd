"""What each kind of audit entry means, in words a person reads: the event catalogue's
summaries as messages of the console, so they are shown in Dutch, French or English.

``tests/unit/test_console_audit_words.py`` keeps this list in step with
``shared.events.catalogue``; a type missing here is shown with the catalogue's English words.
"""


def _(message: str) -> str:
    """Marks a message for the catalogue; translated when the page is rendered."""
    return message


SUMMARIES: dict[str, str] = {
    "dpa.identity.organisation.created.v1": _("An organisation was created by an operator."),
    "dpa.identity.organisation.updated.v1": _("An operator renamed an organisation."),
    "dpa.identity.organisation.disabled.v1": _(
        "An operator disabled an organisation (its contract ended): it enters no new agreement."
    ),
    "dpa.identity.organisation.enabled.v1": _("An operator enabled a disabled organisation again."),
    "dpa.identity.organisation.announced.v1": _(
        "Identity re-stated an existing organisation (id, kind, name, status) on an operator's request, for services that must learn organisations created before they started."  # noqa: E501
    ),
    "dpa.identity.policy.updated.v1": _(
        "An organisation's password, MFA or lockout policy changed."
    ),
    "dpa.identity.policy.viewed.v1": _("An organisation's security policy was read."),
    "dpa.identity.user.invited.v1": _(
        "A user was invited; the notifier delivers the invitation link."
    ),
    "dpa.identity.invitation.accepted.v1": _("An invited user chose their own password."),
    "dpa.identity.user.disabled.v1": _("A user was disabled; their sessions ended."),
    "dpa.identity.user.enabled.v1": _("A disabled user was re-enabled."),
    "dpa.identity.user.removed.v1": _("A user was removed from the organisation."),
    "dpa.identity.user_role.updated.v1": _("A user's role changed."),
    "dpa.identity.user.viewed.v1": _("A user's record was read."),
    "dpa.identity.user.listed.v1": _("An organisation's user list was read."),
    "dpa.identity.link.issued.v1": _("A one-time link was handed to the notifier for delivery."),
    "dpa.identity.login.succeeded.v1": _("A user logged in; a session started."),
    "dpa.identity.login.failed.v1": _("A login attempt failed (the caller saw a generic error)."),
    "dpa.identity.account.locked.v1": _(
        "An account was locked after repeated failures; user and admins are notified."
    ),
    "dpa.identity.account.unlocked.v1": _("A locked account was released."),
    "dpa.identity.mfa.enrolled.v1": _("A user confirmed a second factor."),
    "dpa.identity.idp.connected.v1": _(
        "An admin connected the organisation's own identity provider or changed its settings."
    ),
    "dpa.identity.idp.disconnected.v1": _(
        "An admin disconnected the organisation's own identity provider."
    ),
    "dpa.identity.federated_login.succeeded.v1": _(
        "A user signed in through the organisation's own identity provider."
    ),
    "dpa.identity.passkey.registered.v1": _(
        "A user registered a passkey; the user is notified at their verified address."
    ),
    "dpa.identity.passkey.updated.v1": _("A user renamed one of their passkeys."),
    "dpa.identity.passkey.removed.v1": _(
        "A user removed one of their passkeys; the user is notified at their verified address."
    ),
    "dpa.identity.passkey.listed.v1": _("A user read the list of their own passkeys."),
    "dpa.identity.session.verified.v1": _(
        "A user proved themselves again in a session (step-up) before a sensitive change."
    ),
    "dpa.identity.mfa.reset.v1": _("An admin removed a user's second factor."),
    "dpa.identity.recovery_code.issued.v1": _(
        "Single-use recovery codes were issued (stored hashed)."
    ),
    "dpa.identity.password.updated.v1": _("A user changed their own password."),
    "dpa.identity.email_change.requested.v1": _(
        "A user asked to sign in with another e-mail address; a link went to that address."
    ),
    "dpa.identity.email.updated.v1": _(
        "A user's sign-in e-mail address changed; the new and the former address were told."
    ),
    "dpa.identity.password_reset.requested.v1": _(
        "A password reset was requested; the notifier delivers the link."
    ),
    "dpa.identity.password.reset.v1": _(
        "A password was reset through a one-time link; all sessions ended."
    ),
    "dpa.identity.session.revoked.v1": _(
        "Sessions ended; every service rejects their tokens from now on."
    ),
    "dpa.identity.session.listed.v1": _("A user read the list of their own live sessions."),
    "dpa.identity.session.updated.v1": _("A session's refresh token rotated."),
    "dpa.identity.grant.requested.v1": _(
        "An operator asked a customer for time-boxed access to its data."
    ),
    "dpa.identity.grant.approved.v1": _(
        "A customer approved a supplier access grant (or a maintenance notice covered it)."
    ),
    "dpa.identity.grant.denied.v1": _("A customer denied a supplier access grant."),
    "dpa.identity.grant.revoked.v1": _(
        "A customer revoked a supplier access grant; tokens under it are refused."
    ),
    "dpa.identity.grant.expired.v1": _("A supplier access grant reached its end."),
    "dpa.identity.grant.activated.v1": _(
        "An operator took a token under a grant (a supplier intervention starts)."
    ),
    "dpa.identity.grant.listed.v1": _("Supplier access grants were read."),
    "dpa.identity.maintenance_notice.sent.v1": _(
        "The operator announced a maintenance window to a customer."
    ),
    "dpa.identity.signing_key.created.v1": _("A token signing key was created (rotation)."),
    "dpa.identity.retention.expired.v1": _(
        "Failed sign-ins' client addresses past their retention period were deleted."
    ),
    "dpa.identity.signing_key.revoked.v1": _(
        "A token signing key was revoked at once; tokens it signed are refused everywhere."
    ),
    "dpa.identity.link.viewed.v1": _(
        "An invitation or reset link was previewed by its holder (not used)."
    ),
    "dpa.identity.organisation.viewed.v1": _(
        "An organisation's record (id, name, kind, status) was read."
    ),
    "dpa.identity.organisation.listed.v1": _(
        "The operator read a page of the list of organisations."
    ),
    "dpa.identity.maintenance_notice.objected.v1": _(
        "A customer's admin objected to a maintenance notice; the grants it covered ended."
    ),
    "dpa.identity.maintenance_notice.listed.v1": _(
        "Maintenance notices were read (by the customer they were sent to, or the operator)."
    ),
    "dpa.agreements.agreement.created.v1": _("A draft data-processing agreement was created."),
    "dpa.agreements.agreement.viewed.v1": _(
        "An agreement was read; names the fields returned, never their values."
    ),
    "dpa.agreements.agreement.listed.v1": _("A list of agreements was read."),
    "dpa.agreements.agreement.updated.v1": _(
        "A draft's Annex 1 or terms were edited before anyone signed."
    ),
    "dpa.agreements.agreement.signed.v1": _(
        "One party signed a version of the agreement (draft or amendment)."
    ),
    "dpa.agreements.agreement.activated.v1": _("A signed agreement became active."),
    "dpa.agreements.agreement.terminated.v1": _(
        "An agreement was terminated; return or destruction follows."
    ),
    "dpa.agreements.amendment.proposed.v1": _(
        "A party proposed an amendment; the signed version stays in force until both sign."
    ),
    "dpa.agreements.amendment.accepted.v1": _(
        "Both parties signed an amendment; it superseded the previous version."
    ),
    "dpa.agreements.amendment.withdrawn.v1": _(
        "A party withdrew or declined an amendment before both signed; the version in force stays."
    ),
    "dpa.agreements.record.listed.v1": _(
        "Records of an agreement (versions, instructions, notices, measures...) were read."
    ),
    "dpa.agreements.instruction.issued.v1": _("The controller issued a documented instruction."),
    "dpa.agreements.instruction.acknowledged.v1": _("The processor acknowledged an instruction."),
    "dpa.agreements.subprocessor_change.proposed.v1": _(
        "A processor proposed adding or replacing a subprocessor."
    ),
    "dpa.agreements.subprocessor_change.withdrawn.v1": _(
        "A processor withdrew a proposed subprocessor change."
    ),
    "dpa.agreements.subprocessor_notice.issued.v1": _(
        "A controller was told of an intended subprocessor change, with its objection deadline."
    ),
    "dpa.agreements.subprocessor_notice.approved.v1": _(
        "A controller approved a subprocessor change for one agreement."
    ),
    "dpa.agreements.subprocessor_notice.objected.v1": _(
        "A controller objected to a subprocessor change; it is blocked for that agreement."
    ),
    "dpa.agreements.subprocessor_notice.accepted.v1": _(
        "The objection window closed in silence where the agreement deems that acceptance."
    ),
    "dpa.agreements.subprocessor_notice.expired.v1": _(
        "The objection window closed in silence; the change still needs explicit approval."
    ),
    "dpa.agreements.subprocessor_notice.withdrawn.v1": _(
        "The processor withdrew a change; it will not take effect for this agreement."
    ),
    "dpa.agreements.privacy_notice.proposed.v1": _(
        "The processor submitted its privacy notice to the controller for approval."
    ),
    "dpa.agreements.privacy_notice.approved.v1": _(
        "The controller approved the processor's privacy notice."
    ),
    "dpa.agreements.privacy_notice.commented.v1": _(
        "The controller commented on the processor's privacy notice; a new version follows."
    ),
    "dpa.agreements.subject_request.forwarded.v1": _(
        "The processor forwarded a data subject's request to the controller, with deadlines."
    ),
    "dpa.agreements.subject_request.assisted.v1": _(
        "The processor gave its assistance with a data subject's request."
    ),
    "dpa.agreements.subject_request.closed.v1": _(
        "The controller closed a data subject's request."
    ),
    "dpa.agreements.subject_request.expired.v1": _(
        "The processor's deadline to assist with a data subject's request passed."
    ),
    "dpa.agreements.dpia_assistance.requested.v1": _(
        "The controller asked the processor's help with a DPIA or a prior consultation."
    ),
    "dpa.agreements.dpia_assistance.answered.v1": _(
        "The processor answered a request for help with a DPIA or a prior consultation."
    ),
    "dpa.agreements.claim_intervention.requested.v1": _(
        "The controller asked the processor to intervene in a data subject's claim."
    ),
    "dpa.agreements.claim_intervention.answered.v1": _(
        "The processor answered whether it intervenes in a data subject's claim."
    ),
    "dpa.agreements.instruction_concern.reported.v1": _(
        "The processor flagged an instruction as infringing the GDPR; it is on hold."
    ),
    "dpa.agreements.instruction_concern.closed.v1": _(
        "The controller confirmed, amended or withdrew an instruction the processor flagged."
    ),
    "dpa.agreements.subprocessor_objection.closed.v1": _(
        "The processor recorded how a controller's objection was closed: the agreement ended or "
        "the controller's processing moved where the subprocessor plays no part."
    ),
    "dpa.agreements.subprocessor_flow_down.created.v1": _(
        "A processor recorded its flow-down agreement with a subprocessor."
    ),
    "dpa.agreements.subprocessor.listed.v1": _(
        "A processor's subprocessor list and its history were read."
    ),
    "dpa.agreements.breach.reported.v1": _(
        "A processor reported a personal-data breach (art. 33(2))."
    ),
    "dpa.agreements.breach_notice.issued.v1": _(
        "A controller was notified of a breach; its 72-hour clock started (art. 33(1))."
    ),
    "dpa.agreements.breach_notice.updated.v1": _(
        "A breach report was completed in a further phase (art. 33(4))."
    ),
    "dpa.agreements.authority_notification.reported.v1": _(
        "A controller recorded whether and when it notified its supervisory authority."
    ),
    "dpa.agreements.breach_notice.expired.v1": _(
        "A controller's 72 hours passed without a recorded decision on the authority."
    ),
    "dpa.agreements.breach.viewed.v1": _(
        "A breach report was read; names the fields returned, never their values."
    ),
    "dpa.agreements.breach.listed.v1": _("A list of breach reports was read."),
    "dpa.agreements.staff_member.created.v1": _(
        "The processor listed a staff member or department with access, with its commitment."
    ),
    "dpa.agreements.staff_member.removed.v1": _(
        "The processor withdrew a staff member's or department's access."
    ),
    "dpa.agreements.disclosure.reported.v1": _(
        "The processor recorded a legally required disclosure demand."
    ),
    "dpa.agreements.disclosure.updated.v1": _("The outcome of a disclosure demand was recorded."),
    "dpa.agreements.agreement.exported.v1": _(
        "Everything held for an agreement was exported (return of data, or evidence)."
    ),
    "dpa.agreements.agreement.closed.v1": _(
        "Processing ended: data returned or destroyed, a signed destruction certificate issued."
    ),
    "dpa.agreements.destruction_attestation.signed.v1": _(
        "A named admin of the processor attested what it destroyed or returned on its own "
        "systems and backups; pactum signs it into the certificate."
    ),
    "dpa.agreements.closure_deadline.announced.v1": _(
        "The deadline to return or destroy the data of a terminated agreement approaches."
    ),
    "dpa.agreements.closure_deadline.expired.v1": _(
        "The deadline to return or destroy the data of a terminated agreement passed with the "
        "end still open: the agreement is overdue."
    ),
    "dpa.agreements.retention.expired.v1": _(
        "Personal data held past its retention was pseudonymised or deleted."
    ),
    "dpa.agreements.compliance_report.exported.v1": _(
        "A compliance report of an agreement was downloaded (by a party or its auditor)."
    ),
    "dpa.agreements.processing_record.exported.v1": _(
        "A processor read its record of processing per controller (art. 30(2) GDPR)."
    ),
    "dpa.agreements.measure.updated.v1": _(
        "The processor set the status and evidence of an Annex 2 measure."
    ),
    "dpa.agreements.controller_measure.created.v1": _(
        "The controller recorded a measure of its own."
    ),
    "dpa.agreements.measure_review.reported.v1": _(
        "The controller reviewed an Annex 2 measure of the processor and recorded its finding."
    ),
    "dpa.agreements.measure_review.closed.v1": _(
        "The controller closed its review of an Annex 2 measure."
    ),
    "dpa.agreements.risk_assessment.created.v1": _(
        "A risk assessment of the processing was recorded against Annex 2."
    ),
    "dpa.audit.log.viewed.v1": _("An organisation's audit log was read."),
    "dpa.audit.log.exported.v1": _("An organisation's audit log was exported."),
    "dpa.audit.log.verified.v1": _(
        "An organisation's audit log was verified against its signed checkpoint."
    ),
    "dpa.audit.proof.viewed.v1": _(
        "An inclusion or consistency proof of an organisation's log was read."
    ),
    "dpa.audit.personal_data.destroyed.v1": _(
        "Keys sealing personal data in the log were destroyed (erasure or retention)."
    ),
    "dpa.agreements.agreement_view.denied.v1": _(
        "Someone of another organisation tried to read an agreement and was refused."
    ),
    "dpa.agreements.agreement_change.denied.v1": _(
        "Someone of another organisation tried to change an agreement and was refused."
    ),
    "dpa.audit.platform_backup.created.v1": _(
        "The operator backed up the platform's databases (and event stream)."
    ),
    "dpa.audit.platform_backup.restored.v1": _(
        "The operator restored the platform from a backup; recorded after the restore."
    ),
    "dpa.audit.platform_database.migrated.v1": _(
        "The operator migrated the platform's databases to their latest schema."
    ),
    "dpa.audit.platform_key.rotated.v1": _(
        "The operator rotated a platform signing key (token or checkpoint)."
    ),
    "dpa.audit.platform_key.revoked.v1": _(
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
    "dpa.notifier.receipt.listed.v1": _("The notifier's receipts of an organisation were read."),
    "dpa.notifier.contact.created.v1": _(
        "An organisation registered a contact for notices of some topics."
    ),
    "dpa.notifier.contact.deleted.v1": _("An organisation removed a contact."),
    "dpa.notifier.endpoint.created.v1": _("An organisation registered a signed webhook endpoint."),
    "dpa.notifier.endpoint.updated.v1": _(
        "A webhook endpoint's secret was rotated or the endpoint re-enabled."
    ),
    "dpa.notifier.endpoint.deleted.v1": _("An organisation removed a webhook endpoint."),
    "dpa.notifier.endpoint.disabled.v1": _(
        "A webhook endpoint was disabled after repeated failures; its owner was told."
    ),
    "dpa.notifier.recipient.listed.v1": _(
        "Contacts, endpoints, deliveries, inbox items or sink mail of an organisation were read."
    ),
    "dpa.notifier.preference.updated.v1": _(
        "A user changed which non-critical notices reach them on which channels."
    ),
    "dpa.notifier.organisation_settings.updated.v1": _(
        "An organisation's admin changed the default language of its notices."
    ),
    "dpa.notifier.notice.failed.v1": _(
        "A notice reached nobody (no recipient, or every delivery failed): an operator alert."
    ),
    "dpa.notifier.notice.issued.v1": _(
        "A notice was addressed to an organisation's recipients (delivery rows written)."
    ),
    "dpa.notifier.delivery.delivered.v1": _(
        "A notice was accepted by the SMTP server, the webhook receiver or the inbox."
    ),
    "dpa.notifier.delivery.failed.v1": _(
        "An attempt to deliver a notice failed (bounce, refusal, timeout); retry time if any."
    ),
    "dpa.notifier.delivery.requested.v1": _("An organisation asked to replay a delivery."),
    "dpa.notifier.notice.acknowledged.v1": _(
        "A controller's user acknowledged receipt of a notice thread."
    ),
    "dpa.notifier.inbox_item.updated.v1": _("A user marked an in-app notice as read."),
    "dpa.notifier.retention.expired.v1": _(
        "Deliveries and inbox items past their retention lost their address and text, or were "
        "deleted; one event per organisation and run."
    ),
}

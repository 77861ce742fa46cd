"""Notices about accounts and access: lockouts, second factors, supplier access grants,
maintenance notices, and the one-time links of invitations and password resets (from identity)."""

from typing import Any

from services.notifier.domain import Topic
from services.notifier.notices import Plan, base
from shared.events import Envelope

GRANT_STATUS = {"approved": "granted", "denied": "denied", "revoked": "revoked", "expired": "ended"}


def on_account_locked(event: Envelope, data: dict[str, Any]) -> Plan:
    facts: dict[str, Any] = {
        k: data[k] for k in ("user_id", "until", "lock_number", "permanent") if k in data
    }
    return _security(event, "account_locked", facts, user_id=str(data["user_id"]), admins=True)


def on_mfa(event: Envelope, data: dict[str, Any]) -> Plan:
    facts = {"user_id": data["user_id"], "change": event.type.split(".")[3]}
    return _security(event, "mfa_changed", facts, user_id=str(data["user_id"]), contacts=False)


def on_recovery_codes(event: Envelope, data: dict[str, Any]) -> Plan:
    """Renewed recovery codes void the old ones: the owner hears of it (a first set comes with
    its second factor, whose own notice says so)."""
    if not data.get("renewed"):
        return Plan()
    facts = {"user_id": data["user_id"], "change": "recovery_codes_renewed", "count": data["count"]}
    return _security(event, "mfa_changed", facts, user_id=str(data["user_id"]), contacts=False)


def on_password(event: Envelope, data: dict[str, Any]) -> Plan:
    """A password changed or was reset: its owner hears of it at once (a stranger who did it is
    found out), and nobody else."""
    facts = {"user_id": data["user_id"], "change": event.type.split(".")[3]}
    for key in ("other_sessions_revoked", "sessions_revoked"):
        if key in data:
            facts[key] = data[key]
    return _security(event, "password_changed", facts, user_id=str(data["user_id"]), contacts=False)


def on_email_changed(event: Envelope, data: dict[str, Any]) -> Plan:
    """A user signs in with another address now: the new address hears of it, and so does the
    one it replaced (identity gives it at send time), so an owner whose account was moved by a
    stranger finds out at the address they still read."""
    facts = {"user_id": data["user_id"], "change_id": data["change_id"]}
    user_id, change_id = str(data["user_id"]), str(data["change_id"])
    return _security(
        event, "email_changed", facts, user_id=user_id, contacts=False, former=change_id
    )


def on_sign_in(event: Envelope, data: dict[str, Any]) -> Plan:
    """A sign-in from a browser and network the account never used: its owner hears of it, so a
    stranger holding the password (and second factor) is found out; nobody else does."""
    if not data.get("new_device"):
        return Plan()
    facts = {"user_id": data["user_id"], "methods": data.get("methods", [])}
    return _security(event, "new_sign_in", facts, user_id=str(data["user_id"]), contacts=False)


def on_grant_requested(event: Envelope, data: dict[str, Any]) -> Plan:
    facts = {k: data[k] for k in ("grant_id", "operator_id", "access", "minutes", "reason")}
    link = f"/grants/{data['grant_id']}"
    return _security(event, "grant_requested", facts, link=link, admins=True)


def on_grant_changed(event: Envelope, data: dict[str, Any]) -> Plan:
    verb = event.type.split(".")[3]
    facts = {"status": GRANT_STATUS.get(verb, verb)} | {
        k: data[k] for k in ("grant_id", "operator_id", "expires_at") if data.get(k)
    }
    return _security(event, "grant_changed", facts, link=f"/grants/{data['grant_id']}")


def on_maintenance(event: Envelope, data: dict[str, Any]) -> Plan:
    facts = {k: data[k] for k in ("notice_id", "starts_at", "ends_at")}
    return _security(event, "maintenance_notice", facts, organisation=str(data["organisation_id"]))


def on_link(notice: str) -> Any:
    def plan(event: Envelope, data: dict[str, Any]) -> Plan:
        link_id = data.get("invitation_id") or data.get("link_id")
        if not link_id or not data.get("user_id"):
            return Plan()  # e.g. a reset requested for an unknown address: nothing to send
        if data.get("delivered_by") == "operator":
            return Plan()  # the operator's command handed the link over: a mail would void it
        return Plan(
            notices=[
                base(
                    event,
                    notice=notice,
                    topic=Topic.security,
                    organisation_id=event.tenantid,
                    facts={},
                    link="/account",
                    user_id=str(data["user_id"]),
                    to_contacts=False,
                    link_id=str(link_id),
                )
            ]
        )

    return plan


def _security(
    event: Envelope,
    notice: str,
    facts: dict[str, Any],
    *,
    user_id: str | None = None,
    contacts: bool = True,
    link: str = "/account",
    organisation: str | None = None,
    admins: bool = False,
    former: str | None = None,
) -> Plan:
    return Plan(
        notices=[
            base(
                event,
                notice=notice,
                topic=Topic.security,
                organisation_id=organisation or event.tenantid,
                facts=facts,
                link=link,
                user_id=user_id,
                to_contacts=contacts,
                to_admins=admins,
                former_address_of=former,
            )
        ]
    )

"""Refused requests for another organisation's records, filed in that organisation's log
(TOM-T3c).

A route that finds a record by the id in its path (a user, an organisation, a grant, a
maintenance notice, a passkey, a session) answers another organisation's record as it answers
one that does not exist: a 404, or the 403 of the operator's routes on organisations, which any
caller who is not the operator gets (ASVS 8.4.1). It raises :class:`RecordRefused`, an
``HTTPException`` that carries who asked for which record. Its handler answers exactly as for
any ``HTTPException``, after :func:`record_refused` looked the record up across organisations (the
one such read, in a transaction of its own: the refused one has rolled back) and, when it exists
and the caller's organisation is not a party to it, filed ``dpa.identity.<record>_view.denied``
(a read) or ``<record>_change.denied`` (any other method) in the log of the organisation it
belongs to. At most one entry a minute per kind, actor and record
(:func:`shared.access_attempts.file_once`); the caller cannot tell.
"""

import uuid
from datetime import UTC, datetime
from typing import Literal

import structlog
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.identity.store import (
    Grant,
    LoginSession,
    MaintenanceNotice,
    Organisation,
    Passkey,
    UserAccount,
)
from shared.access_attempts import METHODS, file_once
from shared.auth import Principal
from shared.events.contracts.identity import (
    ACCESS_REFUSED,
    Attempt,
    RecordAccessRefused,
    RefusedRecord,
)
from shared.outbox import Outbox
from shared.problems import answer

log = structlog.get_logger("pactum.access")


class RecordRefused(HTTPException):
    """A request for the record ``record_id`` refused as any caller who may not see it is: the
    same answer either way; the handler files the attempt when the record is another
    organisation's (:func:`record_refused`)."""

    def __init__(
        self,
        *,
        principal: Principal,
        record: RefusedRecord,
        record_id: uuid.UUID,
        detail: str = "Not found",
        status_code: Literal[403, 404] = 404,
    ) -> None:
        super().__init__(status_code, detail=detail)
        self.principal = principal
        self.record: RefusedRecord = record
        self.record_id = record_id
        self.status: Literal[403, 404] = status_code


def attempt_of(method: str) -> Attempt:
    return "view" if method in {"GET", "HEAD"} else "change"


async def _parties(
    session: AsyncSession, record: RefusedRecord, record_id: uuid.UUID
) -> tuple[uuid.UUID, set[uuid.UUID]] | None:
    """The organisation ``record_id`` belongs to (whose log an attempt is filed in) and every
    organisation that is a party to it; None when there is no such record."""
    if record == "user":
        user = await session.get(UserAccount, record_id)
        return (user.organisation_id, {user.organisation_id}) if user else None
    if record == "organisation":
        organisation = await session.get(Organisation, record_id)
        return (organisation.id, {organisation.id}) if organisation else None
    if record == "grant":  # the customer's; the operator who asked for it is a party
        grant = await session.get(Grant, record_id)
        if grant is None:
            return None
        return grant.organisation_id, {grant.organisation_id, grant.operator_organisation_id}
    if record == "maintenance_notice":  # the customer's; the operator who sent it is a party
        notice = await session.get(MaintenanceNotice, record_id)
        if notice is None:
            return None
        sender = await session.get(UserAccount, notice.operator_id)
        parties = {notice.organisation_id} | ({sender.organisation_id} if sender else set())
        return notice.organisation_id, parties
    if record == "passkey":
        passkey = await session.get(Passkey, record_id)
        return (passkey.organisation_id, {passkey.organisation_id}) if passkey else None
    login = await session.get(LoginSession, record_id)
    return (login.organisation_id, {login.organisation_id}) if login else None


async def record_refused(
    sessions: async_sessionmaker[AsyncSession],
    outbox: Outbox,
    refused: RecordRefused,
    *,
    method: str,
) -> bool:
    """After a request for a record was refused (its transaction rolled back): when the record
    exists and the caller's organisation is not a party to it, file the attempt in the log of
    the organisation it belongs to, in a transaction of its own. True when filed; False when
    there is nothing to file or it was filed already this minute."""
    event_type = ACCESS_REFUSED.get((refused.record, attempt_of(method)))
    if event_type is None:  # a route this table does not know yet: the request log has it
        log.warning("access.refusal_not_catalogued", record=refused.record, method=method)
        return False
    principal = refused.principal
    async with sessions() as session, session.begin():
        found = await _parties(session, refused.record, refused.record_id)
        if found is None:
            return False
        owner, parties = found
        if principal.organisation_id in {str(party) for party in parties}:
            return False  # its own organisation's record, whatever it was refused for
        return await file_once(
            session,
            outbox,
            event_type=event_type,
            tenant=str(owner),
            actor=principal.actor,
            record=refused.record_id,
            data=RecordAccessRefused(
                record_id=refused.record_id,
                method=method if method in METHODS else "POST",
                status=refused.status,
            ),
            moment=_now(),
        )


def _now() -> datetime:
    """The moment whose minute the attempt's id is of."""
    return datetime.now(UTC)


async def _answer_refused(request: Request, error: Exception) -> JSONResponse:
    """The answer any refusal of this status gets; first the attempt, if it is one."""
    assert isinstance(error, RecordRefused)
    runtime = request.app.state.runtime
    await record_refused(runtime.sessions, runtime.outbox, error, method=request.method)
    return answer(request, error.status_code, str(error.detail))


def install(app: FastAPI) -> None:
    app.add_exception_handler(RecordRefused, _answer_refused)

"""Round trips to the database per password login (issue 17.4): one statement admits the attempt
(the account, its lockout state and the organisation's rules), one records the outcome (the
failure count reset, the device, the session, its refresh token and the event). On PostgreSQL
neither has a BEGIN or a COMMIT around it, and a connection handed back moments ago is not
pinged again. Counted, not timed, so that a change that adds a round trip fails here."""

import re
from typing import Any

from sqlalchemy import event

from services.identity.store import SINGLE_STATEMENT
from shared.database import is_sqlite
from tests.identity.conftest import Identity

# The outbox relay works beside the login (it reads and marks rows); its statements are not the
# login's.
_RELAY = re.compile(r"^\s*(?:SELECT\b.*?\bFROM\s+\"?outbox\b|UPDATE\s+\"?outbox\b)", re.S | re.I)


class RoundTrips:
    """What the identity engine sends to the database while it is listened to: the statements,
    and the transactions opened (a ``BEGIN`` and its end: two round trips) that run them."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine.sync_engine
        self.statements: list[str] = []
        self.begins = 0
        self._begun: set[int] = set()

    def _statement(self, connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        begun = id(connection) in self._begun
        self._begun.discard(id(connection))
        if _RELAY.match(statement):
            return
        self.statements.append(statement)
        self.begins += begun

    def _begin(self, connection: Any) -> None:
        options = connection.get_execution_options()
        if options.get("isolation_level") == "AUTOCOMMIT" or options.get(SINGLE_STATEMENT):
            return  # no BEGIN is sent: the statement is atomic on its own
        self._begun.add(id(connection))

    def __enter__(self) -> "RoundTrips":
        event.listen(self.engine, "before_cursor_execute", self._statement)
        event.listen(self.engine, "begin", self._begin)
        return self

    def __exit__(self, *_exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._statement)
        event.remove(self.engine, "begin", self._begin)


async def _ready_user(identity: Identity) -> tuple[str, str]:
    """An active user who has signed in once (the pool and the organisation's kind are warm)."""
    admin = await identity.admin()  # accepted the invitation and signed in once
    return admin.email, admin.password


async def test_a_password_login_is_one_statement_to_admit_and_one_to_record__TOM_T5(
    identity: Identity,
) -> None:
    email, password = await _ready_user(identity)
    engine = identity.platform.runtime("identity").engine
    with RoundTrips(engine) as trips:
        answer = await identity.login(email, password)
    assert answer.status_code == 200, answer.text
    kinds = [statement.lstrip().split(None, 1)[0].upper() for statement in trips.statements]
    if is_sqlite(engine):
        # In-process: the admission alone, then the record as one transaction of its writes
        # (SQLite has no writes inside WITH); no read between them.
        assert kinds == ["UPDATE", "UPDATE", "INSERT", "INSERT", "INSERT", "INSERT"], kinds
        assert trips.begins == 1  # the record's transaction; the admission needs none
    else:
        assert len(trips.statements) == 2, trips.statements
        assert kinds == ["UPDATE", "WITH"]
        assert "INSERT INTO outbox" in trips.statements[1]
        assert trips.begins == 0  # autocommit: each statement is atomic on its own


async def test_a_refused_login_is_admitted_by_the_same_one_statement__TOM_T5(
    identity: Identity,
) -> None:
    email, _ = await _ready_user(identity)
    engine = identity.platform.runtime("identity").engine
    with RoundTrips(engine) as trips:
        answer = await identity.login(email, "not the password at all")
    assert answer.status_code == 401
    # The attempt is counted before it is evaluated, by the same statement as a correct one.
    assert trips.statements[0].lstrip().upper().startswith("UPDATE USER_ACCOUNT")

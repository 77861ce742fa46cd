"""Property-based tests of the agreement's pure rules: the lifecycle, objection windows, breach
clocks and the subprocessor list (hypothesis explores sequences and moments no example covers)."""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from services.agreements import clocks, domain
from services.agreements.clocks import NoticeDecision
from services.agreements.domain import (
    AgreementRuleBroken,
    AgreementStatus,
    Authorisation,
    Party,
    VersionStatus,
)

ANNEX1 = {name: ["x"] for name in domain.ANNEX1_FIELDS}
moments = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)
)


class Lifecycle(RuleBasedStateMachine):
    """The service's lifecycle steps, driven only through the domain's rules (DPA-1, DPA-13)."""

    def __init__(self) -> None:
        super().__init__()
        self.status = AgreementStatus.draft
        # number -> [status, parties that signed, text]
        self.versions: dict[int, list[object]] = {1: [VersionStatus.draft, set(), "v1"]}
        self.in_force_texts: dict[int, str] = {}
        self.ever_ended = False

    def _awaiting(self) -> int | None:
        for number, (status, _, _) in self.versions.items():
            if status in {VersionStatus.draft, VersionStatus.proposed}:
                return number
        return None

    @rule(party=st.sampled_from(Party))
    def sign(self, party: Party) -> None:
        number = self._awaiting()
        if number is None:
            return
        status, signed, _ = self.versions[number]
        assert isinstance(signed, set)
        try:
            domain.check_can_sign(
                status=self.status,
                version_status=status,  # type: ignore[arg-type]
                signed_by=signed,
                party=party,
                controller="c",
                processor="p",
                annex1=ANNEX1,
            )
        except AgreementRuleBroken:
            assert party in signed or self.status in domain.ENDED
            return
        signed.add(party)
        if domain.fully_signed(signed):
            for other in self.versions.values():
                if other[0] is VersionStatus.in_force:
                    other[0] = VersionStatus.superseded
            self.versions[number][0] = VersionStatus.in_force
            self.in_force_texts[number] = str(self.versions[number][2])
            self.status = domain.after_signature(self.status, fully=True)

    @rule(action=st.sampled_from(["activate", "terminate", "close"]))
    def step(self, action: str) -> None:
        before = self.status
        try:
            self.status = domain.step(self.status, action)
        except domain.StateConflict:
            assert self.status == before
            return
        self.ever_ended |= self.status in domain.ENDED

    @rule(text=st.text(min_size=1, max_size=5))
    def amend(self, text: str) -> None:
        try:
            domain.check_can_amend(status=self.status, open_amendment=self._awaiting() is not None)
        except domain.StateConflict:
            return
        number = max(self.versions) + 1
        self.versions[number] = [VersionStatus.proposed, set(), text]

    @invariant()
    def one_version_in_force_once_signed(self) -> None:
        in_force = [n for n, v in self.versions.items() if v[0] is VersionStatus.in_force]
        assert len(in_force) == (0 if self.status is AgreementStatus.draft else 1)

    @invariant()
    def versions_in_force_were_signed_by_both_and_never_rewritten(self) -> None:
        for number, text in self.in_force_texts.items():
            _status, signed, current = self.versions[number]
            assert signed == {Party.controller, Party.processor}
            assert current == text

    @invariant()
    def an_ended_agreement_never_lives_again(self) -> None:
        if self.ever_ended:
            assert self.status in domain.ENDED


TestLifecycle = Lifecycle.TestCase
TestLifecycle.settings = settings(max_examples=60, stateful_step_count=25, deadline=None)


@given(notified=moments, days=st.integers(1, 365), offset=st.integers(-400, 400))
def test_objection_is_possible_exactly_until_the_deadline__DPA_5(
    notified: datetime, days: int, offset: int
) -> None:
    deadline = clocks.objection_deadline(
        notified_at=notified, authorisation=Authorisation.general, notice_days=days
    )
    assert deadline == notified + timedelta(days=days)
    now = notified + timedelta(days=offset)
    allowed = now < deadline
    if allowed:
        clocks.check_can_object(decision=NoticeDecision.pending, deadline=deadline, now=now)
    else:
        with pytest.raises(domain.StateConflict):
            clocks.check_can_object(decision=NoticeDecision.pending, deadline=deadline, now=now)


@given(
    notified=moments,
    days=st.integers(1, 365),
    offset=st.integers(-400, 400),
    silence=st.booleans(),
    decision=st.sampled_from(NoticeDecision),
    authorisation=st.sampled_from(Authorisation),
)
def test_silence_decides_only_pending_notices_after_the_deadline__DPA_5(
    notified: datetime,
    days: int,
    offset: int,
    silence: bool,
    decision: NoticeDecision,
    authorisation: Authorisation,
) -> None:
    deadline = clocks.objection_deadline(
        notified_at=notified, authorisation=authorisation, notice_days=days
    )
    now = notified + timedelta(days=offset)
    outcome = clocks.decision_at_deadline(
        decision=decision, deadline=deadline, silence_is_acceptance=silence, now=now
    )
    if decision is not NoticeDecision.pending or deadline is None or now < deadline:
        assert outcome is None  # specific authorisation: silence never decides
    else:
        assert outcome is (NoticeDecision.accepted if silence else NoticeDecision.pending)


@given(aware=moments, hours=st.integers(1, 720), delay=st.integers(0, 2000))
def test_breach_clocks__TOM_O4(aware: datetime, hours: int, delay: int) -> None:
    notified = aware + timedelta(hours=delay)
    deadline = clocks.processor_deadline(aware_at=aware, notice_hours=hours)
    assert clocks.is_late(done_at=notified, deadline=deadline) == (delay > hours)
    assert clocks.authority_deadline(notified_at=notified) - notified == timedelta(hours=72)


@st.composite
def change_histories(draw: st.DrawFn) -> list[tuple[uuid.UUID, uuid.UUID | None, date, bool]]:
    ids = [uuid.uuid4() for _ in range(draw(st.integers(1, 8)))]
    history = []
    for index, change_id in enumerate(ids):
        replaces = draw(st.none() | st.sampled_from(ids[:index])) if index else None
        effective = date(2026, 1, 1) + timedelta(days=draw(st.integers(0, 60)))
        history.append((change_id, replaces, effective, draw(st.booleans())))
    return history


@given(history=change_histories(), today_offset=st.integers(0, 60))
def test_the_current_list_holds_only_agreed_effective_unreplaced_changes__DPA_5(
    history: list[tuple[uuid.UUID, uuid.UUID | None, date, bool]], today_offset: int
) -> None:
    today = date(2026, 1, 1) + timedelta(days=today_offset)
    current = domain.subprocessors_in_force(history, today=today)
    for change_id, replaces, effective, agreed in history:
        if change_id in current:
            assert agreed
            assert effective <= today
            assert replaces not in current

"""The processor's assistance to the controller, as pure rules (art. 28(3)(e), (f) GDPR and
art. 12 of the contract; DPA-15, DPA-16, DPA-19).

A data subject's request (access, rectification, erasure …) that reaches the processor is not
the processor's to answer: it forwards it to the controller, which answers the data subject, and
assists where the controller needs it (an extract, a correction, an erasure in its systems).
The request is tracked to its closure: open, the processor's assistance given, closed by the
controller. Readable by someone who knows the GDPR and not the stack: no framework imports.
"""

from datetime import date, datetime
from enum import StrEnum

from services.agreements.domain import AgreementRuleBroken, AgreementStatus, StateConflict


class SubjectRight(StrEnum):
    """The data subject's right the request invokes (art. 15-22 GDPR)."""

    access = "access"
    rectification = "rectification"
    erasure = "erasure"
    restriction = "restriction"
    portability = "portability"
    objection = "objection"
    automated_decision = "automated_decision"


class SubjectRequestStage(StrEnum):
    open = "open"  # forwarded to the controller; the processor's assistance is due
    assisted = "assisted"  # the processor gave its assistance
    closed = "closed"  # the controller closed it (answered the data subject, or not needed)


class SubjectRequestOutcome(StrEnum):
    """How the controller closed the request."""

    answered = "answered"  # the data subject got its answer
    refused = "refused"  # manifestly unfounded or excessive (art. 12(5))
    withdrawn = "withdrawn"  # the data subject withdrew it


# The processor holds the data, and its duties last, until return or destruction is certified.
FORWARDABLE = frozenset(
    {AgreementStatus.signed, AgreementStatus.active, AgreementStatus.terminated}
)


def stage(*, assisted_at: datetime | None, closed_at: datetime | None) -> SubjectRequestStage:
    if closed_at is not None:
        return SubjectRequestStage.closed
    if assisted_at is not None:
        return SubjectRequestStage.assisted
    return SubjectRequestStage.open


def check_can_forward(*, status: AgreementStatus, received_at: datetime, now: datetime) -> None:
    if status not in FORWARDABLE:
        raise StateConflict(
            f"cannot forward a data subject's request on an agreement that is {status}"
        )
    if received_at > now:
        raise AgreementRuleBroken("received_at: the request cannot have reached you in the future")


def check_can_assist(current: SubjectRequestStage) -> None:
    if current is not SubjectRequestStage.open:
        raise StateConflict(f"the request is {current}: its assistance is already recorded")


def check_can_close(current: SubjectRequestStage) -> None:
    if current is SubjectRequestStage.closed:
        raise StateConflict("the request is already closed")


def overdue(*, current: SubjectRequestStage, due_at: datetime, now: datetime) -> bool:
    """Whether the processor's assistance is late: still open past its deadline."""
    return current is SubjectRequestStage.open and now > due_at


# DPA-16 (art. 28(3)(f), 32-36): the controller asks the processor's help with a data protection
# impact assessment or the prior consultation of the authority. DPA-19 (art. 12 of the contract):
# when a data subject claims damages from the controller, the controller asks the processor, "op
# eenvoudig verzoek", to intervene in the proceedings. Each request is recorded with its answer.


class AssistanceKind(StrEnum):
    dpia = "dpia"  # a data protection impact assessment (art. 35)
    prior_consultation = "prior_consultation"  # of the supervisory authority (art. 36)
    claim = "claim"  # intervention in a data subject's claim against the controller (art. 12)


def check_can_ask(*, status: AgreementStatus, due_on: date | None, today: date) -> None:
    if status not in FORWARDABLE:
        raise StateConflict(f"cannot ask for assistance on an agreement that is {status}")
    if due_on is not None and due_on < today:
        raise AgreementRuleBroken("due_on: the date you need the answer by has passed")


def check_can_answer(*, kind: AssistanceKind, answered: bool, intervenes: bool | None) -> None:
    if answered:
        raise StateConflict("this request was already answered")
    if (kind is AssistanceKind.claim) != (intervenes is not None):
        raise AgreementRuleBroken(
            "intervenes: say whether you intervene in the proceedings, and only for a claim"
        )

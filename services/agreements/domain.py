"""Rules of a data-processing agreement that hold whatever stores or transports it."""

from enum import StrEnum


class AgreementStatus(StrEnum):
    """An agreement's lifecycle: draft, signed by both parties, active, terminated, closed."""

    draft = "draft"
    signed = "signed"
    active = "active"
    terminated = "terminated"
    closed = "closed"


class AgreementRuleBroken(ValueError):
    """A request the agreement's rules refuse; the message says what to change."""


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

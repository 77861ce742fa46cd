"""A signed version stays verifiable when the terms gain an optional term (DPA-1, DPA-13): the
API shows the new term as null on versions signed before it existed, and the digest recomputed
from what the API shows is still the one their signers signed."""

import hashlib
import json

from services.agreements import domain
from services.agreements.lifecycle.schemas import Terms

ANNEX1 = {"subject": "hosting", "data_categories": [{"name": "identificatiegegevens"}]}
BEFORE_CLOSURE_DAYS = {
    "authorisation": "general",
    "notice_days": 30,
    "silence_is_acceptance": False,
    "breach_notice_hours": 48,
}


def _as_signed_before(terms: dict[str, object]) -> str:
    """The digest exactly as signing computed it before ``closure_days`` existed."""
    text = json.dumps(
        {"annex1": ANNEX1, "terms": terms, "subprocessors": None},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(text.encode()).hexdigest()


def test_dpa_13_a_version_signed_before_the_closure_period_keeps_its_digest() -> None:
    shown = Terms.model_validate(BEFORE_CLOSURE_DAYS).model_dump(mode="json")
    assert shown["closure_days"] is None  # what the API shows of the old version
    recomputed = domain.version_digest(annex1=ANNEX1, terms=shown, subprocessors=None)
    assert recomputed == _as_signed_before(BEFORE_CLOSURE_DAYS)


def test_dpa_13_the_closure_period_is_part_of_what_is_signed() -> None:
    ten = Terms(closure_days=10).model_dump(mode="json")
    eleven = Terms(closure_days=11).model_dump(mode="json")
    digest = domain.version_digest(annex1=ANNEX1, terms=ten, subprocessors=None)
    assert digest != domain.version_digest(annex1=ANNEX1, terms=eleven, subprocessors=None)
    assert digest != _as_signed_before(BEFORE_CLOSURE_DAYS)

"""The Annex 1 categories a data subject's request or an assistance request concerns (TOM-T1):
chosen when the request is made, from the Annex 1 of the version in force; their periods decide
how long its free text is kept (``services/agreements/retention``)."""

from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from services.agreements.lifecycle import annex1
from services.agreements.lifecycle import store as lifecycle
from services.agreements.lifecycle.store import Agreement


async def chosen(
    session: AsyncSession, agreement: Agreement, named: Iterable[str] | None
) -> list[str]:
    """The categories named (each must be in Annex 1: 422 otherwise), or every one of Annex 1
    when none are named."""
    signed = await lifecycle.annex1_in_force(session=session, agreement=agreement)
    return annex1.categories_of(named, annex1.periods_of(signed))

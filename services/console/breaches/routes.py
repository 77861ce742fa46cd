"""The console's breaches pages: the list, one breach, reporting it, phases, the authority."""

from fastapi import APIRouter, Depends

from services.console.breaches import pages
from services.console.web import visitor

router = APIRouter(dependencies=[Depends(visitor)])
router.include_router(pages.router)

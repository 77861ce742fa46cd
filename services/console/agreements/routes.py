"""The console's agreements pages: the agreements, one agreement's tabs, the processor's work."""

from fastapi import APIRouter, Depends

from services.console.agreements import duties, end, evidence_pages, pages, supervision, work
from services.console.web import visitor

router = APIRouter(dependencies=[Depends(visitor)])
router.include_router(pages.router)
router.include_router(work.router)
router.include_router(duties.router)
router.include_router(end.router)
router.include_router(supervision.router)
router.include_router(evidence_pages.router)

"""The console's audit pages: the log viewer, an entry with its proof, the export."""

from fastapi import APIRouter, Depends

from services.console.audit import log
from services.console.web import visitor

router = APIRouter(dependencies=[Depends(visitor)])
router.include_router(log.router)

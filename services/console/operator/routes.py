"""The console's operator pages: the platform's organisations, supplier access and its health
(operator admins)."""

from fastapi import APIRouter, Depends

from services.console.operator import access, health, organisations
from services.console.web import visitor

router = APIRouter(dependencies=[Depends(visitor)])
router.include_router(organisations.router)
router.include_router(access.router)
router.include_router(health.router)

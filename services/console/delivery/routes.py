"""The console's delivery pages: who is told of what (contacts, the organisation's notice
language, one's own preferences) and webhooks with their delivery log."""

from fastapi import APIRouter, Depends

from services.console.delivery import contacts, webhooks
from services.console.web import visitor

router = APIRouter(dependencies=[Depends(visitor)])
router.include_router(contacts.router)
router.include_router(webhooks.router)

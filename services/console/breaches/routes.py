"""The console's breaches pages."""

from fastapi import APIRouter, Depends

from services.console.web import visitor

router = APIRouter(dependencies=[Depends(visitor)])

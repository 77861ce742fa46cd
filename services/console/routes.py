"""Every page router of the console, in one list: the place to see what the console answers."""

from fastapi import APIRouter

from services.console.account import links, own, sign_in
from services.console.home import routes as home
from services.console.inbox import routes as inbox
from services.console.operator import routes as operator
from services.console.organisation import routes as organisation

ROUTERS: tuple[APIRouter, ...] = (
    home.router,
    sign_in.router,
    links.router,
    own.router,
    inbox.router,
    organisation.router,
    operator.router,
)

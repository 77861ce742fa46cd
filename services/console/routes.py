"""Every page router of the console, in one list: the place to see what the console answers.

Each area is a package with its own ``routes.py`` (which may include routers of its own modules),
its templates in ``templates/<area>/`` and its messages in ``locales/<lang>/LC_MESSAGES/<area>.po``.
"""

from fastapi import APIRouter

from services.console.account import links, organisation_sign_in, own, sign_in
from services.console.agreements import routes as agreements
from services.console.audit import routes as audit
from services.console.breaches import routes as breaches
from services.console.delivery import routes as delivery
from services.console.home import routes as home
from services.console.inbox import routes as inbox
from services.console.operator import routes as operator
from services.console.organisation import routes as organisation

ROUTERS: tuple[APIRouter, ...] = (
    home.router,
    sign_in.router,
    organisation_sign_in.router,
    links.router,
    own.router,
    inbox.router,
    organisation.router,
    delivery.router,
    operator.router,
    agreements.router,
    breaches.router,
    audit.router,
)

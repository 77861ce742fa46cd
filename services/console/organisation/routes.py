"""The console's organisation pages, for the organisation's own admins.

- ``users``: the people of the organisation, their roles, their accounts (TOM-T2a, TOM-T2e).
- ``policy``: the sign-in rules: passwords, the second step, locks (TOM-T2b, TOM-T2c, TOM-T5).
- ``identity_provider``: the organisation's own identity provider (OpenID Connect, TOM-T2b).
- ``access``: supplier access requests, grants and maintenance notices (TOM-O3, TOM-T3c).
- ``grant_links``: ``/grants/{id}``, the page supplier-access mails link to.
"""

from fastapi import APIRouter, Depends

from services.console.organisation import access, grant_links, identity_provider, policy, users
from services.console.web import visitor

router = APIRouter(dependencies=[Depends(visitor)])
router.include_router(users.router)
router.include_router(policy.router)
router.include_router(identity_provider.router)
router.include_router(access.router)
router.include_router(grant_links.router)

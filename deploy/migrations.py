"""Every service's migrations, registered, and their command line.

Each service's ``migrations`` package registers itself with shared/migrations.py when imported
(shared/ loads no service by name); this module imports all five, for the command line and for
the operator's tools (deploy/operator.py, deploy/backup.py) and the tests.

    python -m deploy.migrations audit upgrade       # to head (what start-up does)
    python -m deploy.migrations audit current       # the revision the database is at
    python -m deploy.migrations audit check         # exit 1 when models and database differ
    python -m deploy.migrations audit revision -m "audit: entry size"   # autogenerate a draft
"""

import sys

from services.agreements.migrations import MIGRATIONS as AGREEMENTS
from services.audit.migrations import MIGRATIONS as AUDIT
from services.console.migrations import MIGRATIONS as CONSOLE
from services.identity.migrations import MIGRATIONS as IDENTITY
from services.notifier.migrations import MIGRATIONS as NOTIFIER
from shared.migrations import main

EVERY_SERVICE = (IDENTITY, AGREEMENTS, AUDIT, NOTIFIER, CONSOLE)

if __name__ == "__main__":
    sys.exit(main())

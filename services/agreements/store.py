"""The agreements database: every aggregate's tables, which the migrations migrate to.

Each aggregate keeps its tables and queries in its own ``store.py``; this module only gathers
them (``services/agreements/migrations`` imports it, never the app).
"""

from services.agreements.assistance import store as assistance_store
from services.agreements.breaches import store as breaches_store
from services.agreements.closure import store as closure_store
from services.agreements.commitments import store as commitments_store
from services.agreements.directory import store as directory
from services.agreements.lifecycle import store as lifecycle_store
from services.agreements.subprocessors import store as subprocessors_store

TABLES = (
    lifecycle_store.Agreement.__table__,  # type: ignore[attr-defined]
    lifecycle_store.AgreementVersion.__table__,  # type: ignore[attr-defined]
    lifecycle_store.Signature.__table__,  # type: ignore[attr-defined]
    lifecycle_store.PrivacyNotice.__table__,  # type: ignore[attr-defined]
    *subprocessors_store.TABLES,
    *breaches_store.TABLES,
    *commitments_store.TABLES,
    *closure_store.TABLES,
    *directory.TABLES,
    *assistance_store.TABLES,
)

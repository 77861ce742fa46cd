from services.audit.main import AuditSettings, create_app
from shared.serve import serve

serve(create_app, AuditSettings())

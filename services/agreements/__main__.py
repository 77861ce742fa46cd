from services.agreements.main import AgreementsSettings, create_app
from shared.serve import serve

serve(create_app, AgreementsSettings())

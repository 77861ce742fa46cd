from services.identity.main import IdentitySettings, create_app
from shared.serve import serve

serve(create_app, IdentitySettings())

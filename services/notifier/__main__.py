from services.notifier.main import NotifierSettings, create_app
from shared.serve import serve

serve(create_app, NotifierSettings())

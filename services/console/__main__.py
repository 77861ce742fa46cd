from services.console.main import create_app
from services.console.settings import ConsoleSettings
from shared.serve import serve

serve(create_app, ConsoleSettings())

"""The console's agreements pages."""

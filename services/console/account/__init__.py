"""The console's account pages."""

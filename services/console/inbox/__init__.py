"""The console's inbox pages."""

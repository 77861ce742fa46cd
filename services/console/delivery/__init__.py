"""The console's delivery pages."""

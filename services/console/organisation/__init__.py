"""The console's organisation pages."""

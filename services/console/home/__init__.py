"""The console's home pages."""

"""The console's audit pages."""

"""The console's breaches pages."""

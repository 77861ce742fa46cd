"""The console's operator pages."""

"""Event payloads, one module per emitting service."""

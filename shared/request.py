"""What the current HTTP request tells about its caller, for the events it causes."""

from contextvars import ContextVar

# The client's address as the server saw it (behind the reverse proxy: the proxy's, unless
# uvicorn is told to trust its forwarded headers). Personal data: it stays in the process; events
# and log lines carry its keyed pseudonym (shared/pseudonyms.py), and audit seals that.
client_address: ContextVar[str | None] = ContextVar("client_address", default=None)
# The client's User-Agent header (identity tells a sign-in from a new device by it and the
# address's network); never put in an event or a log line.
client_agent: ContextVar[str | None] = ContextVar("client_agent", default=None)

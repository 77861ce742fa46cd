"""structlog, JSON to stdout, with the request or message context bound and secrets redacted."""

import logging
import re
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any

import structlog
from opentelemetry import trace

REDACTED = "[redacted]"

# Keys whose values never reach a log line, wherever they appear in the event dict.
SECRET_KEY = re.compile(
    r"pass(word|wd|phrase)?|secret|token|authorization|cookie|api[_-]?key|private[_-]?key"
    r"|otp|totp|mfa[_-]?code|recovery[_-]?code|one[_-]?time|reset[_-]?(link|url)|signature"
    r"|credential",
    re.IGNORECASE,
)
# Values that look like secrets even under an innocent key: JWTs and bearer credentials.
SECRET_VALUE = re.compile(
    r"eyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*|(?i:bearer|basic)\s+[\w\-.~+/=]{8,}",
)


def _redact(value: Any, depth: int = 0) -> Any:
    if depth > 6:
        return value
    if isinstance(value, str):
        return SECRET_VALUE.sub(REDACTED, value)
    if isinstance(value, Mapping):
        return {
            key: REDACTED
            if isinstance(key, str) and SECRET_KEY.search(key)
            else _redact(v, depth + 1)
            for key, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_redact(v, depth + 1) for v in value]
    return value


def redact_secrets(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Replace secret-named fields and secret-shaped values before rendering."""
    for key in list(event_dict):
        if SECRET_KEY.search(key):
            event_dict[key] = REDACTED
        else:
            event_dict[key] = _redact(event_dict[key])
    return event_dict


def add_trace_context(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Add the current OpenTelemetry trace and span ids, so a log line leads to its trace."""
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event_dict.setdefault("trace_id", format(context.trace_id, "032x"))
        event_dict.setdefault("span_id", format(context.span_id, "016x"))
    return event_dict


def shared_processors() -> list[structlog.typing.Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        add_trace_context,
        structlog.processors.format_exc_info,
        redact_secrets,
    ]


def configure_logging(*, service: str, level: str = "INFO", fmt: str = "json") -> None:
    """Configure structlog and route the standard library's records through it."""
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[*shared_processors(), renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(sys.stdout),
        cache_logger_on_first_use=False,
    )
    structlog.contextvars.bind_contextvars(service=service)

    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                renderer,
            ],
            foreign_pre_chain=[
                structlog.stdlib.add_logger_name,
                *shared_processors(),
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # uvicorn's access log would print query strings unredacted; our middleware logs requests.
    logging.getLogger("uvicorn.access").disabled = True
    # aiosqlite logs every statement with its parameters at DEBUG (a webhook secret, a password
    # hash): never, whatever the level.
    logging.getLogger("aiosqlite").setLevel(logging.INFO)
    # aiosmtpd (the development mail sink, and the SMTP receivers of the tests) logs every line of
    # a message at DEBUG: invitation and reset links among them. Never, whatever the level.
    logging.getLogger("mail.log").setLevel(logging.INFO)

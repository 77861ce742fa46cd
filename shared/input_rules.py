"""One rule for what every service accepts as text and numbers, applied at the edge (issue 18.5).

Python's JSON parser accepts what no service can store or answer: unpaired UTF-16 surrogates
(``"\\ud800"``), ``NaN`` and ``Infinity``, numbers that overflow to infinity (``1e400``), and
escaped control characters (``"\\u0000"``). They reached the databases (500s) or came back in a
validation answer that could not be serialised. So, before any route sees a JSON body:

- every string (keys and values) is valid Unicode: no unpaired surrogate;
- no string holds a C0 control character or DEL, except tab, line feed and carriage return
  (fields that hold one line refuse those too, with :data:`Line`);
- every number is finite, and an integer lies within what JSON carries exactly (±2^53).

A body that breaks the rule is refused with 400 (documented on every operation with a body), a
query string with 422; the answer names the rule, never the submitted value. Validation answers
drop the submitted ``input`` (``shared/problems.py``), so no error ever echoes a value.
"""

import json
import math
import re
import unicodedata
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Annotated, Any
from urllib.parse import parse_qsl

from pydantic import AfterValidator

from shared.problems import MEDIA_TYPE, problem_bytes

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# C0 controls and DEL, less tab, line feed and carriage return; and the surrogate code points.
_BAD_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
MAX_EXACT_INTEGER = 2**53 - 1
BODY_REFUSED = (
    "The body is not acceptable JSON: strings must be valid Unicode without control characters "
    "(tab and line breaks aside), numbers finite and integers within ±2^53."
)
QUERY_REFUSED = "The query holds control characters or text that is not valid Unicode."


class InputRefused(ValueError):
    """A value breaks the platform's input rule (the message never quotes the value)."""


def check_text(value: str) -> str:
    """``value`` if it is valid Unicode without control characters other than tab and breaks."""
    if _BAD_TEXT.search(value):
        raise InputRefused("text must be valid Unicode without control characters")
    return value


def check_line(value: str) -> str:
    """``value`` if it is one line of valid Unicode with no control character at all."""
    if _CONTROL.search(value):
        raise InputRefused("must be one line without control characters")
    return value


def _number(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise InputRefused("numbers must be finite")
    return value


def _integer(text: str) -> int:
    if len(text) > 17:  # more digits than 2^53 has: refuse before converting
        raise InputRefused("integers must lie within ±2^53")
    value = int(text)
    if abs(value) > MAX_EXACT_INTEGER:
        raise InputRefused("integers must lie within ±2^53")
    return value


def _no_constant(_: str) -> Any:
    raise InputRefused("NaN and Infinity are not JSON numbers")


def _check_tree(value: Any) -> None:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            check_text(item)
        elif isinstance(item, dict):
            for key, inner in item.items():
                check_text(key)
                stack.append(inner)
        elif isinstance(item, list):
            stack.extend(item)


def check_json(body: bytes) -> bool:
    """False if ``body`` parses as JSON but breaks the rule; True otherwise (malformed JSON is
    left to FastAPI's own 400)."""
    try:
        tree = json.loads(
            body, parse_float=_number, parse_int=_integer, parse_constant=_no_constant
        )
    except InputRefused:
        return False
    except ValueError:  # not JSON, or not UTF-8: FastAPI answers it
        return True
    try:
        _check_tree(tree)
    except InputRefused:
        return False
    return True


def check_query(raw: bytes) -> bool:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    try:
        pairs = parse_qsl(text, keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        return False
    return not any(
        _CONTROL.search(name) is not None or _BAD_TEXT.search(value) is not None
        for name, value in pairs
    )


def _is_json(scope: Scope) -> bool:
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            kind = bytes(value).split(b";", 1)[0].strip().lower()
            return kind == b"application/json" or kind.endswith(b"+json")
    return True  # FastAPI reads a body without a content type as JSON


class InputRule:
    """Pure ASGI middleware: refuse what breaks the rule before any route reads it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope.get("query_string") and not check_query(scope["query_string"]):
            await _refuse(send, 422, QUERY_REFUSED, scope.get("path", ""))
            return
        if scope["method"] in {"GET", "HEAD", "OPTIONS"} or not _is_json(scope):
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        body = bytearray()
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        if body and not check_json(bytes(body)):
            await _refuse(send, 400, BODY_REFUSED, scope.get("path", ""))
            return

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)


async def _refuse(send: Send, status: int, detail: str, path: str) -> None:
    payload = problem_bytes(status, detail, code="input_rule", path=path)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", MEDIA_TYPE.encode()),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


# E-mail addresses: one mailbox (no display name, no comments, no quoted local part, no address
# literal), as RFC 5321 sends it and RFC 6531 extends it to Unicode; the domain as IDNA encodes it.
_ATEXT = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+$")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def _local_atom(atom: str) -> bool:
    if not atom:
        return False
    if _ATEXT.match(atom):
        return True
    return all(
        _ATEXT.match(char) or (ord(char) > 127 and unicodedata.category(char)[0] in {"L", "M", "N"})
        for char in atom
    )


def normalise_address(value: str) -> str:
    """``value`` as a deliverable e-mail address (domain lower-cased), or :class:`InputRefused`
    with a reason that does not quote it."""
    address = value.strip(" ")  # a pasted space, not a line break
    if _CONTROL.search(address) or " " in address:
        raise InputRefused("an e-mail address holds no spaces or control characters")
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        raise InputRefused("an e-mail address is a local part, @ and a domain")
    if len(local.encode()) > 64 or not all(_local_atom(atom) for atom in local.split(".")):
        raise InputRefused("the part before @ is not a valid mailbox name")
    try:
        ascii_domain = unicodedata.normalize("NFC", domain).encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise InputRefused("the domain is not a valid domain name") from None
    labels = ascii_domain.split(".")
    if (
        len(labels) < 2
        or not all(_LABEL.match(label) for label in labels)
        or labels[-1].isdigit()
        or len(ascii_domain) > 253
    ):
        raise InputRefused("the domain is not a valid domain name")
    normalised = f"{local}@{domain.lower()}"
    if len(normalised.encode()) > 254:
        raise InputRefused("an e-mail address has at most 254 characters")
    return normalised


EmailAddress = Annotated[str, AfterValidator(normalise_address)]
Line = Annotated[str, AfterValidator(check_line)]
Text = Annotated[str, AfterValidator(check_text)]

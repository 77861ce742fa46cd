"""What a leaf hashes: the canonical JSON of an entry's leaf fields.

JSON with sorted keys, no whitespace, UTF-8, exactly as the audit service writes it with orjson
(``OPT_SORT_KEYS``): when orjson is installed it is used; without it, :func:`leaf_bytes` writes
the same bytes with the standard library (floats as orjson writes them: ``0.00001``, ``1.5e-7``,
``1e+16``; a non-finite float as ``null``).
"""

import json
import math
from typing import Any

EXPORT_FORMAT = "pactum-audit-export/1"

_TEXT = json.JSONEncoder(ensure_ascii=False)


def _float_text(value: float) -> str:
    if not math.isfinite(value):
        return "null"
    text = repr(value)
    if "e" not in text:
        return text
    mantissa, exponent = text.split("e")
    power = int(exponent)
    if power >= 0:
        return text
    if power == -5:  # orjson writes 1e-05 as 0.00001
        sign = "-" if mantissa.startswith("-") else ""
        digits = mantissa.lstrip("-").replace(".", "")
        return f"{sign}0.0000{digits}"
    return f"{mantissa}e-{-power}"


def _write(value: Any, parts: list[str]) -> None:
    if isinstance(value, str):
        parts.append(_TEXT.encode(value))
    elif value is None or isinstance(value, bool):
        parts.append("null" if value is None else "true" if value else "false")
    elif isinstance(value, int):
        parts.append(str(value))
    elif isinstance(value, float):
        parts.append(_float_text(value))
    elif isinstance(value, dict):
        parts.append("{")
        for number, key in enumerate(sorted(value)):
            if not isinstance(key, str):
                raise TypeError("leaf keys are text")
            parts.append("," if number else "")
            parts.append(_TEXT.encode(key) + ":")
            _write(value[key], parts)
        parts.append("}")
    elif isinstance(value, list | tuple):
        parts.append("[")
        for number, item in enumerate(value):
            parts.append("," if number else "")
            _write(item, parts)
        parts.append("]")
    else:
        raise TypeError(f"a leaf holds no {type(value).__name__}")


def canonical_json(value: Any) -> bytes:
    """The canonical JSON of ``value``, with the standard library only."""
    parts: list[str] = []
    _write(value, parts)
    return "".join(parts).encode()


try:
    import orjson
except ImportError:  # the standalone verifier: the standard library writes the same bytes
    leaf_bytes = canonical_json
else:

    def leaf_bytes(value: Any) -> bytes:
        """The bytes a leaf hashes (orjson's ``OPT_SORT_KEYS`` output)."""
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)

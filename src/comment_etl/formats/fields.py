"""Small, strict converters for the loosely typed fields real dumps carry.

Each returns None for "unknown" (missing, null, empty) and raises `ValueError` for a value that
is present but cannot be what it claims to be, so a reader can turn it into a `Reject` that
names the field.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from comment_etl.formats.base import FileUnreadable

_COUNT = re.compile(r"^\s*([0-9][0-9,.\s]*)\s*([KkMmBb]?)\s*$")
_MULTIPLIER = {"": 1, "k": 1_000, "m": 1_000_000, "b": 1_000_000_000}
#: Epoch seconds (or milliseconds) as text: 9+ digits, so an 8-digit ISO date stays a date.
_EPOCH_TEXT = re.compile(r"^-?\d{9,}(?:\.\d*)?$")
#: Counts and ids are stored as BIGINT: a value outside it is bad input, not an overflow later.
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_DAY_MONTH_YEAR = re.compile(
    r"^(\d{1,2})\.(\d{1,2})\.(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$"
)


def _int64(value: int) -> int:
    if not _INT64_MIN <= value <= _INT64_MAX:
        digits = str(value)
        shown = digits if len(digits) <= 24 else f"{digits[:20]}... ({len(digits)} digits)"
        raise ValueError(f"integer out of the 64-bit range: {shown}")
    return value


def to_int(value: Any) -> int | None:
    """Integers from ints, floats without fraction, numeric strings; None for null/empty.

    A value outside the 64-bit range raises ValueError (a reject), never an OverflowError."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"expected an integer, got boolean {value!r}")
    if isinstance(value, int):
        return _int64(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"expected an integer, got {value!r}")
        return _int64(int(value))
    if isinstance(value, str):
        text = value.strip().replace(",", "")
        if not text:
            return None
        if "." in text or "e" in text.lower():
            return to_int(float(text))
        return _int64(int(text))
    raise ValueError(f"expected an integer, got {type(value).__name__}")


def display_count(value: Any) -> int | None:
    """Counts as YouTube shows them: "1.2K" -> 1200, "3" -> 3, "1,234" -> 1234, "" -> None."""
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return to_int(value)
    text = str(value).strip()
    if not text:
        return None
    match = _COUNT.match(text)
    if not match:
        raise ValueError(f"not a count: {text!r}")
    number, suffix = match.groups()
    number = number.replace(",", "").replace(" ", "")
    return _int64(round(float(number) * _MULTIPLIER[suffix.lower()]))


def epoch_to_utc(value: Any) -> datetime | None:
    """Seconds since the epoch (int, float or numeric string) to an aware UTC datetime."""
    if value is None or value == "" or value is False:
        return None
    if isinstance(value, bool):
        raise ValueError(f"expected epoch seconds, got {value!r}")
    seconds = float(value)
    if seconds > 1e11:  # milliseconds
        seconds /= 1000.0
    return datetime.fromtimestamp(seconds, tz=UTC)


def iso_to_utc(value: Any) -> datetime | None:
    """RFC 3339 / ISO 8601 text to an aware UTC datetime (naive input is taken as UTC)."""
    if value is None or value == "":
        return None
    text = str(value).strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def to_str(value: Any) -> str | None:
    """Strings stay, numbers become text, empty and null become None."""
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    return text if text != "" else None


def to_utc(value: Any) -> datetime | None:
    """A timestamp in any of the forms exports use, as an aware UTC datetime.

    Epoch seconds or milliseconds (number or digits), ISO 8601 / RFC 3339 with or without
    ``T``, fraction and zone (naive is UTC), or ``DD.MM.YYYY[ HH:MM[:SS]]``.
    """
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return epoch_to_utc(value)
    text = str(value).strip()
    if not text:
        return None
    if _EPOCH_TEXT.match(text):
        return epoch_to_utc(text)
    match = _DAY_MONTH_YEAR.match(text)
    if match:
        day, month, year, hour, minute, second = (int(g) if g else 0 for g in match.groups())
        try:
            return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
        except ValueError as exc:
            raise ValueError(f"not a valid date: {text!r} ({exc})") from None
    try:
        return iso_to_utc(text)
    except ValueError:
        raise ValueError(f"not a recognised date: {text!r}") from None


def hint_to_utc(hints: dict[str, str], key: str) -> datetime | None:
    """A timestamp from a source hint; a bad one is a configuration error that fails the file."""
    try:
        return to_utc(hints.get(key))
    except ValueError as exc:
        raise FileUnreadable(f"bad {key!r} hint: {exc}") from exc

"""Keep credentials out of logs, exception messages and task results.

The YouTube API key travels as the ``key=`` query parameter and dump URLs may be pre-signed
(``X-Amz-Signature=``, ``token=``, ``user:password@``), so any URL or message a source logs or
returns goes through `redact` first. httpx itself logs every request URL at INFO level on the
``httpx`` logger; `install_httpx_log_filter` rewrites those records before any handler sees them.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

REDACTED = "REDACTED"

#: Query parameter names whose values are credentials (matched case-insensitively, anywhere in
#: the name: ``key``, ``api_key``, ``X-Amz-Signature``, ``access_token``, ``sig`` ...).
_SECRET_PARAM = re.compile(
    r"(?P<name>[\w.-]*(?:key|token|sig|signature|secret|password|credential)[\w.-]*)="
    r"(?P<value>[^&#\s\"'<>]*)",
    re.IGNORECASE,
)
#: Paging cursors match the pattern above but are not credentials; keep them for debugging.
_NOT_SECRET = {"pagetoken", "nextpagetoken"}
#: ``scheme://user:password@host`` -> ``scheme://user:REDACTED@host``.
_USERINFO = re.compile(r"(?P<prefix>[a-z][a-z0-9+.-]*://[^/@:\s]*:)[^/@\s]*@", re.IGNORECASE)


def redact(text: object, secrets: Iterable[str] = ()) -> str:
    """`text` as a string with credential query values, URL passwords and `secrets` replaced."""
    out = str(text)
    for secret in secrets:
        if secret:
            out = out.replace(secret, REDACTED)
    out = _SECRET_PARAM.sub(_redact_param, out)
    return _USERINFO.sub(lambda m: f"{m['prefix']}{REDACTED}@", out)


def _redact_param(match: re.Match[str]) -> str:
    if match["name"].lower() in _NOT_SECRET:
        return match[0]
    return f"{match['name']}={REDACTED}"


def url_secrets(url: str) -> list[str]:
    """The parts of a URL that may be a credential: all of it, its path and its query.

    Incoming-webhook URLs carry their token in the path (``/services/T0/B0/XXXX``), where the
    query-parameter patterns above cannot see it; redact with these as explicit secrets.
    """
    if not url:
        return []
    parts = urlsplit(url)
    found = [url, parts.path if len(parts.path) > 1 else "", parts.query, parts.password or ""]
    return sorted({part for part in found if part}, key=len, reverse=True)


def redact_url(url: str) -> str:
    """``scheme://host/REDACTED``: enough to tell which endpoint, nothing that opens it."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    return f"{parts.scheme or '?'}://{host}/{REDACTED}"


class RedactingFilter(logging.Filter):
    """Rewrite a log record's final message through `redact` (and drop its args)."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = list(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message, self.secrets)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        return True


_FILTER = RedactingFilter()


def install_httpx_log_filter() -> None:
    """Attach the redacting filter to httpx's loggers (idempotent).

    Logger filters run only for records created on that logger, so the filter sits on the
    loggers that format request URLs themselves, not on the root logger.
    """
    for name in ("httpx", "httpcore"):
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)


@contextmanager
def secrets_hidden_from(loggers: Iterable[str], secrets: Iterable[str]) -> Iterator[None]:
    """While inside, records of these loggers have `secrets` (and credential patterns) redacted.

    For the libraries that log a URL themselves (httpx: ``HTTP Request: POST <url>``).
    """
    hidden = RedactingFilter(secrets)
    targets = [logging.getLogger(name) for name in loggers]
    for logger in targets:
        logger.addFilter(hidden)
    try:
        yield
    finally:
        for logger in targets:
            logger.removeFilter(hidden)

"""Keep credentials out of logs, exception messages and task results.

The YouTube API key travels as the ``key=`` query parameter and dump URLs may be pre-signed
(``X-Amz-Signature=``, ``token=``, ``user:password@``), so any URL or message a source logs or
returns goes through `redact` first. httpx itself logs every request URL at INFO level on the
``httpx`` logger; `install_httpx_log_filter` rewrites those records before any handler sees them.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

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


class RedactingFilter(logging.Filter):
    """Rewrite a log record's final message through `redact` (and drop its args)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
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

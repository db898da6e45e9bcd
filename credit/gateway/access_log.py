"""What a log line may show of a request's URL: never a secret that a client put in its query.

The gateway takes secrets only from headers (the session in ``Authorization``), but a client may
still put one in the URL (an old web client, a third-party script). uvicorn's access log writes
the whole path with its query; :func:`redact_access_log` blanks the values of parameters whose
name says they hold a secret, in every line of that log, however the app is served.
"""

from __future__ import annotations

import logging
import re

ACCESS_LOGGER = "uvicorn.access"
_SECRET_PARAM = re.compile(
    r"([?&](?:[^=&#\s]*(?:token|ticket|secret|password|session|key|signature|auth)[^=&#\s]*)=)"
    r"[^&#\s]*",
    re.IGNORECASE,
)


def redact_url(text: str) -> str:
    """``text`` with the value of each secret-bearing query parameter replaced by ``[redacted]``."""
    return _SECRET_PARAM.sub(r"\1[redacted]", text)


class RedactSecrets(logging.Filter):
    """Redacts secret query values in a record's message and arguments (never drops a record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite ``record`` in place; always True."""
        if isinstance(record.msg, str):
            record.msg = redact_url(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact_url(a) if isinstance(a, str) else a for a in record.args)
        return True


def redact_access_log() -> None:
    """Put :class:`RedactSecrets` on uvicorn's access logger (once; idempotent)."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, RedactSecrets) for f in logger.filters):
        logger.addFilter(RedactSecrets())

"""Gunicorn's access log through the same scrubbing as our own logs (privacy.log_scrubbing).

Gunicorn writes its access lines itself, outside Django's logging, so a link's secret in a path
(``/accounts/password/reset/<uid>/<token>/``) or an address in a referer would reach the log as
sent. This logger scrubs every value a log format can name (request line, path, query, headers,
environ) before it is written.
Used by ``make run`` and the production image (``--logger-class``).
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

from privacy.log_scrubbing import scrub


class ScrubbingLogger(Logger):
    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: scrub(value) if isinstance(value, str) else value for key, value in atoms.items()}

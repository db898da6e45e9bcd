"""The resident web client: static files in ``credit/gateway/web/``, served at ``/``.

Plain HTML, CSS and ES modules: no build step, nothing fetched from another origin. The mount
comes after the API routers and never matches ``/v1`` or ``/metrics``, so unknown API paths keep
their JSON 404/405 envelopes. Every file is sent with a Content-Security-Policy that allows only
this origin, so the page cannot load anything from the internet even by mistake.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.responses import Response
from starlette.routing import Match, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

WEB_DIR = Path(__file__).with_name("web")
_API_PATHS = ("/v1/", "/metrics/")
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
        "form-action 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


class WebFiles(StaticFiles):
    """Static files with the security headers above (revalidated on each load: no stale app)."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        """The file's response, with :data:`SECURITY_HEADERS`."""
        response = await super().get_response(path, scope)
        response.headers.update(SECURITY_HEADERS)
        return response


class _WebMount(Mount):
    """A root mount that leaves the API's paths to the API (its 404 and 405 answers)."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        """No match for ``/v1...`` and ``/metrics...``; otherwise the usual mount match."""
        path = str(scope.get("path", ""))
        if path in ("/v1", "/metrics") or path.startswith(_API_PATHS):
            return Match.NONE, {}
        return super().matches(scope)


def mount_web(app: FastAPI, directory: Path = WEB_DIR) -> None:
    """Serve the web client at ``/`` (``index.html`` for directories); call after the routers."""
    files = WebFiles(directory=directory, html=True)
    app.router.routes.append(_WebMount("/", app=files, name="web"))

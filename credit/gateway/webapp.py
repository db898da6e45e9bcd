"""The resident web client: static files in ``credit/gateway/web/``, served at ``/``.

Plain HTML, CSS and ES modules: no build step, nothing fetched from another origin. The mount
comes after the API routers and never matches ``/v1`` or ``/metrics``, so unknown API paths keep
their JSON 404/405 envelopes. Every file is sent with a Content-Security-Policy that allows only
this origin, so the page cannot load anything from the internet even by mistake.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.responses import FileResponse, Response
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


#: The private-proof pages (``zk/``) run snarkjs's WebAssembly on worker threads it starts from
#: blob: URLs: their policy adds only 'wasm-unsafe-eval' (compiling wasm, never 'unsafe-eval') and
#: blob: workers (made by the page's own scripts).
ZK_CSP = SECURITY_HEADERS["Content-Security-Policy"].replace(
    "script-src 'self'", "script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:"
)
#: What the proving and checking pages fetch, served at ``/zk/assets/<name>``: snarkjs's browser
#: build, the ceremony's circuit artefacts and the QR code generator.
_PROJECT = Path(__file__).resolve().parents[2]
ZK_ASSETS = {
    "snarkjs.min.js": _PROJECT / "node_modules" / "snarkjs" / "build" / "snarkjs.min.js",
    "credit_at_least.wasm": _PROJECT / "zk" / "credit_at_least" / "credit_at_least.wasm",
    "credit_at_least.zkey": _PROJECT / "zk" / "credit_at_least" / "credit_at_least.zkey",
    "verification_key.json": _PROJECT / "zk" / "credit_at_least" / "verification_key.json",
    # the QR code of the check link: qrcode-generator's ES module (npm, pinned in package.json)
    "qrcode.mjs": _PROJECT / "node_modules" / "qrcode-generator" / "dist" / "qrcode.mjs",
}


class WebFiles(StaticFiles):
    """Static files with the security headers above (revalidated on each load: no stale app)."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        """The file's response, with :data:`SECURITY_HEADERS` (:data:`ZK_CSP` under ``zk/``)."""
        if path.startswith("zk/assets/") and (asset := ZK_ASSETS.get(path[10:])) is not None:
            response: Response = FileResponse(asset)
        else:
            response = await super().get_response(path, scope)
        response.headers.update(SECURITY_HEADERS)
        if path.startswith("zk/"):
            response.headers["Content-Security-Policy"] = ZK_CSP
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

"""One router per resource (its module's ``routes.router``, see :mod:`._route`); ``ROUTERS`` is
what the app mounts under ``/v1``.

``ROOT_ROUTERS`` are mounted at the root, outside the API version (``/metrics``).
"""

from __future__ import annotations

from fastapi import APIRouter

from credit.gateway.routes import auth, system

ROUTERS: list[APIRouter] = [system.routes.router, auth.routes.router]
ROOT_ROUTERS: list[APIRouter] = [system.root_routes.router]

from credit.gateway.routes import claim_reviews, claims  # noqa: E402

ROUTERS += [claims.routes.router, claim_reviews.routes.router]

from credit.gateway.routes import reports  # noqa: E402

ROUTERS.append(reports.routes.router)

from credit.gateway.routes import claim_view  # noqa: E402

ROUTERS.append(claim_view.routes.router)

from credit.gateway.routes import appeals, config, evidence, residents, rewards  # noqa: E402

ROUTERS += [
    config.routes.router,
    residents.routes.router,
    evidence.routes.router,
    rewards.routes.router,
    appeals.routes.router,
]

from credit.gateway.routes import rpc  # noqa: E402

ROOT_ROUTERS.append(rpc.routes.router)

from credit.gateway.routes import verification  # noqa: E402

ROUTERS.append(verification.routes.router)
from credit.gateway.routes import public  # noqa: E402

ROUTERS.append(public.routes.router)
from credit.gateway.routes import zk  # noqa: E402

ROUTERS.append(zk.routes.router)

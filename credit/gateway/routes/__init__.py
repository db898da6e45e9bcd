"""One router per resource; ``ROUTERS`` is what the app mounts under ``/v1``.

``ROOT_ROUTERS`` are mounted at the root, outside the API version (``/metrics``).
"""

from __future__ import annotations

from fastapi import APIRouter

from credit.gateway.routes import auth, system

ROUTERS: list[APIRouter] = [system.router, auth.router]
ROOT_ROUTERS: list[APIRouter] = [system.root_router]

from credit.gateway.routes import claim_reviews, claims  # noqa: E402

ROUTERS += [claims.router, claim_reviews.router]

from credit.gateway.routes import reports  # noqa: E402

ROUTERS.append(reports.router)

from credit.gateway.routes import claim_view  # noqa: E402

ROUTERS.append(claim_view.router)

from credit.gateway.routes import appeals, config, evidence, residents, rewards  # noqa: E402

ROUTERS += [config.router, residents.router, evidence.router, rewards.router, appeals.router]

from credit.gateway.routes import rpc  # noqa: E402

ROOT_ROUTERS.append(rpc.router)

from credit.gateway.routes import verification  # noqa: E402

ROUTERS.append(verification.router)
from credit.gateway.routes import public  # noqa: E402

ROUTERS.append(public.router)
from credit.gateway.routes import zk  # noqa: E402

ROUTERS.append(zk.router)

"""One router per resource; ``ROUTERS`` is what the app mounts under ``/v1``."""

from __future__ import annotations

from fastapi import APIRouter

ROUTERS: list[APIRouter] = []

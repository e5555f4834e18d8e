"""TM Forum TMF622 Product Ordering v4: termination orders, cancel orders and the event hub."""

from __future__ import annotations

from fastapi import APIRouter

from lineclose.web.api.tmf622 import cancel, hub, orders
from lineclose.web.api.tmf622.errors import TmfRoute

# One flat router (no nesting), so every route carries its full path for the route audits.
tmf622 = APIRouter(tags=["TMF622 product ordering"], route_class=TmfRoute)
for part in (orders.router, cancel.router, hub.router):
    tmf622.routes.extend(part.routes)

"""TM Forum TMF622 Product Ordering v4: termination orders, cancel orders and the event hub."""

from __future__ import annotations

from fastapi import APIRouter

from lineclose.web.api.tmf622 import cancel, hub, orders
from lineclose.web.api.tmf622.errors import TmfRoute

BASE = "/tmf-api/productOrderingManagement/v4"

tmf622 = APIRouter(prefix=BASE, tags=["TMF622 product ordering"], route_class=TmfRoute)
tmf622.include_router(orders.router)
tmf622.include_router(cancel.router)
tmf622.include_router(hub.router)

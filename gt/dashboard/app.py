"""The dashboard's web application: the page, its live events, a JSON read of the town,
an agent's recent output, and the actions, behind `gt.dashboard.security`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from beads.errors import BeadsError
from gt.agents import Address
from gt.dashboard import page
from gt.dashboard.actions import ACTIONS
from gt.dashboard.live import Hub, snapshot
from gt.dashboard.security import allowed_hosts, refusal
from gt.town import Town

PEEK_LINES = 30
KEEPALIVE = 15.0


def build(town: Town, person: str, token: str, bind: str, port: int) -> Starlette:
    hub = Hub(town)
    hosts = allowed_hosts(bind, port)

    class Guard(BaseHTTPMiddleware):
        async def dispatch(self, request: Request, call_next: RequestResponseEndpoint
                           ) -> Response:
            why = refusal(request.method, dict(request.headers), token, hosts)
            if why is not None:
                return JSONResponse({"error": why}, status_code=403)
            return await call_next(request)

    async def home(request: Request) -> Response:
        return HTMLResponse(page.render(town.name, hub.drawn, hub.version),
                            headers={"Cache-Control": "no-store",
                                     "Content-Security-Policy": "default-src 'self'; "
                                     "style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
                                     "frame-ancestors 'none'"})

    async def town_json(request: Request) -> Response:
        data = await asyncio.to_thread(snapshot, town)
        return Response(orjson.dumps(data), media_type="application/json")

    async def peek(request: Request) -> Response:
        try:
            address = Address.parse(request.query_params.get("agent", ""))
        except BeadsError as error:
            return JSONResponse({"error": error.message}, status_code=400)
        output = await asyncio.to_thread(town.backend().peek, address.session, PEEK_LINES)
        return JSONResponse({"agent": str(address), "output": output})

    async def events(request: Request) -> Response:
        queue = hub.subscribe()

        async def stream() -> AsyncIterator[bytes]:
            try:
                yield b": connected\n\n"
                while True:
                    try:
                        yield await asyncio.wait_for(queue.get(), KEEPALIVE)
                    except TimeoutError:
                        yield b": keepalive\n\n"
            finally:
                hub.unsubscribe(queue)

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store"})

    async def action(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in ACTIONS:
            return JSONResponse({"error": f"no action {name!r}"}, status_code=404)
        try:
            body: Any = orjson.loads(await request.body())
        except orjson.JSONDecodeError:
            return JSONResponse({"error": "the body is not JSON"}, status_code=400)
        if not isinstance(body, dict):
            return JSONResponse({"error": "the body is not a JSON object"}, status_code=400)
        try:
            result = await asyncio.to_thread(ACTIONS[name], town, person, body)
        except BeadsError as error:
            return JSONResponse({"error": error.message}, status_code=400)
        return JSONResponse({"ok": True, "result": result})

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await hub.start()
        try:
            yield
        finally:
            await hub.stop()

    app = Starlette(routes=[Route("/", home), Route("/api/town", town_json),
                            Route("/api/peek", peek), Route("/events", events),
                            Route("/api/{name}", action, methods=["POST"])],
                    middleware=[Middleware(Guard)], lifespan=lifespan)
    app.state.hub = hub
    return app

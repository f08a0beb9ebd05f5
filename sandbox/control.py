"""The /_sandbox control surface, for tests, the demo and out-of-process use:

    GET  /_sandbox/health                              status, events applied/remaining, readiness
    GET  /_sandbox/ping                                trivial static endpoint (bench baseline)
    POST /_sandbox/events/apply        {"n": 5}        apply the next N events (all if n omitted)
    POST /_sandbox/rutter/<connection_id>/initial_sync_done
    POST /_sandbox/stripe/<account_id>/deauthorize     the account disconnects the platform
    GET  /_sandbox/webhooks                            what was emitted (provider + payload)
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from .httpkit import Request, Response, json_response

if TYPE_CHECKING:
    from .server import SandboxServer

PONG = Response(200, b"ok", content_type="text/plain")


def handle(server: SandboxServer, req: Request) -> Response:
    path = req.path.rstrip("/")
    if path == "/ping":
        return PONG
    if path == "/health" and req.method == "GET":
        return json_response(200, server.health())
    if path == "/events/apply" and req.method == "POST":
        body = req.json() or {}
        n = body.get("n", req.query.get("n"))
        try:
            n = None if n in (None, "") else int(n)
        except (TypeError, ValueError):
            return json_response(400, {"error": "n must be an integer"})
        applied = server.apply_events(n)
        return json_response(200, {"applied": applied, "remaining": server.state.events_remaining})
    parts = path.strip("/").split("/")
    if len(parts) == 3 and parts[0] == "rutter" and parts[2] == "initial_sync_done" \
            and req.method == "POST":
        try:
            server.mark_initial_sync_done(parts[1])
        except KeyError:
            return json_response(404, {"error": f"unknown Rutter connection {parts[1]}"})
        return json_response(200, {"connection_id": parts[1], "ready": True})
    if len(parts) == 3 and parts[0] == "stripe" and parts[2] == "deauthorize" and req.method == "POST":
        try:
            server.stripe_deauthorize(parts[1])
        except KeyError:
            return json_response(404, {"error": f"unknown Stripe account {parts[1]}"})
        return json_response(200, {"account": parts[1], "deauthorized": True})
    if path == "/webhooks" and req.method == "GET":
        emitted = [{"provider": p, "payload": payload} for p, payload in server.emitted]
        return Response(200, json.dumps({"webhooks": emitted}).encode())
    return json_response(404, {"error": f"unknown control endpoint {req.path}"})

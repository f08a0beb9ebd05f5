"""One threaded HTTP/1.1 server on 127.0.0.1 simulating Rutter, Stripe (API + Connect OAuth) and
Plaid over a world, plus a small control surface under /_sandbox for tests and the demo.

    with SandboxServer(load_world("x.world.json"), webhook_url="http://127.0.0.1:8000/hooks") as sb:
        client = RutterClient(base_url=sb.rutter_base_url, ...)
"""

from __future__ import annotations

import json
import random
import threading
import time
from dataclasses import asdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from . import control, plaid_api, rutter_api, stripe_api
from .events import (
    apply_events,
    plaid_sync_webhook,
    rutter_connection_webhook,
    stripe_deauthorized_event,
)
from .faults import FaultInjector, Faults, SlidingWindowLimiter, parse_faults
from .httpkit import Request, Response
from .link_pages import rutter_link_js, rutter_linkstart
from .platforms import platform_for
from .state import Credentials, SandboxState
from .webhooks import Deliverer, Delivery, PlaidSigner, rutter_signature, stripe_signature
from .world import World, load_world


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: clients reuse connections like with the real APIs
    server_version = "TieoutSandbox/1"
    # Headers and body go out in separate writes; without these a keep-alive client waits ~40 ms
    # per request on Nagle + delayed ACK.
    disable_nagle_algorithm = True
    wbufsize = 1 << 16

    def _handle(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        headers = {k.lower(): v for k, v in self.headers.items()}
        req = Request(self.command, parts.path, query, headers, body)
        try:
            resp = self.server.sandbox.dispatch(req)
        except Exception:  # a sandbox bug must look like a provider 500, not a dropped socket
            import logging
            logging.getLogger(__name__).exception("sandbox error on %s %s", self.command, self.path)
            resp = Response(500, b'{"error":"sandbox internal error"}')
        self.send_response(resp.status)
        self.send_header("Content-Type", resp.content_type)
        self.send_header("Content-Length", str(len(resp.body)))
        for name, value in resp.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(resp.body)

    do_GET = do_POST = do_DELETE = do_PATCH = do_PUT = do_HEAD = _handle

    def log_message(self, format, *args):  # noqa: A002 - quiet: tests and benches hammer it
        pass


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128


class SandboxServer:
    def __init__(self, world: World | str, *, port: int = 0, webhook_url: str | None = None,
                 faults: str | dict | Faults | None = None, initial_sync_delay: float | None = 0.0,
                 credentials: Credentials | dict | None = None,
                 rutter_rate_limit: tuple[int, float] | None = (500, 10.0),
                 stripe_rate_limit: tuple[int, float] | None = None,
                 host: str = "127.0.0.1", webhook_suffix: str = "", parent: SandboxServer | None = None):
        if not isinstance(world, World):
            world = load_world(world)
        if isinstance(credentials, dict):
            credentials = Credentials(**credentials)
        self.credentials = credentials or Credentials()
        self.initial_sync_delay = initial_sync_delay
        self.state = SandboxState(world, self.credentials, initially_ready=initial_sync_delay == 0)
        self.faults = parse_faults(faults)
        self.injector = FaultInjector(self.faults)
        self._fault_rng = random.Random(self.faults.seed)
        self.rutter_limiter = SlidingWindowLimiter(*rutter_rate_limit) if rutter_rate_limit else None
        self.stripe_limiter = SlidingWindowLimiter(*stripe_rate_limit) if stripe_rate_limit else None
        self.webhook_url = webhook_url.rstrip("/") if webhook_url else None
        # Deliveries go to <webhook_url>/<provider><webhook_suffix> (a partner's own endpoint:
        # webhook_suffix="/<partner id>").
        self.webhook_suffix = webhook_suffix
        self.platforms: list[SandboxServer] = []  # more provider accounts served here (add_platform)
        self.plaid_signer = PlaidSigner()
        self.emitted: list[tuple[str, dict]] = []  # every webhook payload, delivered or not
        # Called with (provider, request, response) after each API exchange: contract checks.
        self.observers: list = []
        self.oauth_codes_spent: list[str] = []  # Stripe authorization codes exchanged, in order
        self._deliverer: Deliverer | None = None
        self._initial_update_sent: set[str] = set()
        self._timers: list[threading.Timer] = []
        self._thread: threading.Thread | None = None
        if parent is None:
            self._httpd = _HTTPServer((host, port), _Handler)
            self._httpd.sandbox = self
            self.port = self._httpd.server_address[1]
        else:  # an added platform: served by its parent's socket
            self._httpd, self.port, host = None, parent.port, parent.base_url.split("://")[1].rsplit(":", 1)[0]
        self.base_url = f"http://{host}:{self.port}"
        self.rutter_base_url = self.base_url + "/rutter/versioned"
        self.stripe_api_base = self.base_url + "/stripe"
        self.stripe_connect_base = self.base_url + "/stripe-connect"
        self.plaid_base_url = self.base_url + "/plaid"
        # The Link JS stand-in (settings.PLAID_LINK_JS_URL in the sandbox; Plaid's CDN in production).
        self.plaid_link_js_url = self.plaid_base_url + plaid_api.plaid_link.JS_PATH

    # --- lifecycle ----------------------------------------------------------------------------

    def add_platform(self, world: World | str, *, credentials: Credentials | dict,
                     webhook_url: str | None = None, webhook_suffix: str = "") -> SandboxServer:
        """Serve another provider account (a second partner's Rutter organization, Stripe platform
        and Plaid team) from this server: requests carrying its credentials reach its own world
        (sandbox/platforms.py), and its webhooks are signed with its own secrets."""
        platform = SandboxServer(world, credentials=credentials, webhook_url=webhook_url,
                                 webhook_suffix=webhook_suffix, parent=self,
                                 initial_sync_delay=self.initial_sync_delay, faults=self.faults)
        platform.observers = self.observers  # contract checks see every platform
        self.platforms.append(platform)
        if self._thread is not None:
            platform._start_deliverer()
        return platform

    def _start_deliverer(self) -> None:
        if self.webhook_url and self._deliverer is None:
            self._deliverer = Deliverer(self.faults.webhook_faults(), random.Random(self.faults.seed))

    def start(self) -> SandboxServer:
        self._start_deliverer()
        for platform in self.platforms:
            platform._start_deliverer()
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="sandbox-http",
                                        kwargs={"poll_interval": 0.1}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        for platform in self.platforms:
            platform.stop()
        for timer in self._timers:
            timer.cancel()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
        if self._httpd is not None:
            self._httpd.server_close()
        if self._deliverer is not None:
            self._deliverer.flush(timeout=5)
            self._deliverer.close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def serve_forever(self) -> None:
        """Run in the foreground (the `sandbox serve` command)."""
        self.start()
        try:
            while self._thread.is_alive():
                self._thread.join(0.5)
        finally:
            self.stop()

    # --- control ------------------------------------------------------------------------------

    def apply_events(self, n: int | None = None) -> int:
        """Apply the next n world events (all when None), emitting their webhooks."""
        applied, hooks = apply_events(self.state, n)
        for provider, _conn, payload in hooks:
            self.emit(provider, payload)
        return applied

    def mark_initial_sync_done(self, connection_id: str) -> None:
        with self.state.lock:
            rs = self.state.rutter.get(connection_id)
            if rs is None:
                raise KeyError(f"unknown Rutter connection {connection_id!r}")
            rs.ready = True
            send = connection_id not in self._initial_update_sent
            self._initial_update_sent.add(connection_id)
        if send:
            self.emit("rutter", rutter_connection_webhook(rs, "INITIAL_UPDATE"))

    def on_rutter_exchange(self, rs) -> None:
        rs.exchanged = True
        if rs.ready:
            self.mark_initial_sync_done(rs.conn.connection_id)
        elif self.initial_sync_delay:
            timer = threading.Timer(self.initial_sync_delay, self.mark_initial_sync_done,
                                    args=(rs.conn.connection_id,))
            timer.daemon = True
            self._timers.append(timer)
            timer.start()

    def stripe_deauthorize(self, account_id: str) -> None:
        """The account disconnects the platform in its Stripe dashboard: the platform loses access
        (API calls answer 403 account_invalid) and gets account.application.deauthorized."""
        with self.state.lock:
            ss = self.state.stripe.get(account_id)
            if ss is None:
                raise KeyError(f"unknown Stripe account {account_id!r}")
            ss.deauthorized = True
        self.emit("stripe", stripe_deauthorized_event(account_id, self.credentials.stripe_client_id))

    def on_plaid_exchange(self, item) -> None:
        self.emit("plaid", plaid_sync_webhook(item.item.item_id))

    @property
    def webhook_log(self) -> list[Delivery]:
        return list(self._deliverer.log) if self._deliverer else []

    def flush_webhooks(self, timeout: float = 10.0) -> bool:
        return self._deliverer.flush(timeout) if self._deliverer else True

    def emit(self, provider: str, payload: dict) -> None:
        self.emitted.append((provider, payload))
        if not self.webhook_url or self._deliverer is None:
            return
        body = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json"}
        if provider == "rutter":
            headers["X-Rutter-Signature"] = rutter_signature(body, self.credentials.rutter_client_secret)
        elif provider == "stripe":
            headers["Stripe-Signature"] = stripe_signature(body, self.credentials.stripe_webhook_secret,
                                                           int(time.time()))
        else:
            headers["Plaid-Verification"] = self.plaid_signer.sign(body)
        self._deliverer.send(Delivery(provider, f"{self.webhook_url}/{provider}{self.webhook_suffix}", body, headers))

    def health(self) -> dict:
        with self.state.lock:
            return {"status": "ok", "events_applied": self.state.events_applied,
                    "events_remaining": self.state.events_remaining,
                    "rutter": {cid: {"ready": rs.ready, "exchanged": rs.exchanged}
                               for cid, rs in self.state.rutter.items()},
                    "credentials": asdict(self.credentials)}

    # --- routing ------------------------------------------------------------------------------

    def dispatch(self, req: Request) -> Response:
        platform = platform_for(self, req)
        if platform is not None:
            return platform.dispatch(req)
        path = req.path
        if path.startswith("/_sandbox/") or path == "/_sandbox":
            req.path = path[len("/_sandbox"):] or "/"
            return control.handle(self, req)
        if path == "/rutter/link/rutter-link.js":
            return rutter_link_js(self, req)
        if path.startswith("/rutter/linkstart/"):
            return rutter_linkstart(self, req, path[len("/rutter/linkstart/"):].strip("/"))
        for prefix, handler, provider in (
                ("/rutter/versioned", rutter_api.handle, rutter_api),
                ("/stripe-connect", stripe_api.handle_connect, None),
                ("/stripe", stripe_api.handle_api, stripe_api),
                ("/plaid", plaid_api.handle, plaid_api)):
            if path == prefix or path.startswith(prefix + "/"):
                req.path = path[len(prefix):] or "/"
                is_page = req.path.rstrip("/") in ("/link", "/oauth/authorize", plaid_api.plaid_link.JS_PATH)
                if provider is None and req.path.rstrip("/") == "/oauth/token":
                    provider = stripe_api
                if provider is not None and not is_page:
                    faulted = self._fault(provider)
                    if faulted is not None:
                        return faulted
                resp = handler(self, req)
                for observe in self.observers:
                    observe(prefix.strip("/").split("/")[0].split("-")[0], req, resp)
                return resp
        return Response(404, b'{"error":"not found"}')

    def _fault(self, provider) -> Response | None:
        kind = self.injector.pick()
        if kind == "429":
            return provider.rate_limited(1.0)
        if kind == "5xx":
            return provider.server_error(self._fault_rng.choice((500, 502, 503)))
        if kind == "slow":
            time.sleep(self.faults.slow_seconds)
        return None

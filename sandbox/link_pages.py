"""Stand-ins for the providers' connect flows (Rutter Link, Stripe OAuth, Plaid Link).

Rutter Link is the browser SDK's interface (a script defining `Rutter.create`, a window that
answers its opener by postMessage); the others are one-form pages that hand back what the real
page would (Stripe `code` + `state` on a redirect).
"""

from __future__ import annotations

import hmac
import json
from html import escape
from typing import TYPE_CHECKING

from .httpkit import Request, Response, html_response

if TYPE_CHECKING:
    from .server import SandboxServer


def choose_page(title: str, choices: list[tuple[str, str]], field: str, params: dict) -> str:
    hidden = "".join(f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">'
                     for k, v in params.items() if k != field)
    options = "".join(f'<label><input type="radio" name="{escape(field)}" value="{escape(value)}"'
                      f'{" checked" if n == 0 else ""}> {escape(label)}</label><br>'
                      for n, (value, label) in enumerate(choices))
    return (f"<!doctype html><html><head><title>{escape(title)}</title></head><body>"
            f"<h1>{escape(title)}</h1><p>Tieout sandbox: no real credentials are used.</p>"
            f'<form method="post">{hidden}{options}<button type="submit">Connect</button></form>'
            "</body></html>")


# The stand-in of Rutter Link's browser SDK (@rutter/rutter-link, https://docs.rutter.com/rutter-link):
# `Rutter.create({publicKey, onSuccess(publicToken), onExit(error)})` returns {open({platform}),
# exit(), destroy()}; open() opens the link window at /linkstart/<publicKey>?origin=&nonce=, which
# answers the opener with postMessage(JSON {type: "SUCCESS", publicToken, nonce}) or {type: "EXIT"};
# a window closed without an answer is onExit("MERCHANT_CLOSED"). Same names, same callbacks.
RUTTER_LINK_JS = """(function () {
  "use strict";
  var BASE = %(base)s;
  function create(options) {
    var popup = null, nonce = null, done = true, timer = null;
    function finish() { done = true; window.removeEventListener("message", onMessage); clearInterval(timer); }
    function onMessage(evt) {
      if (evt.origin !== new URL(BASE).origin) return;
      var data;
      try { data = typeof evt.data === "string" ? JSON.parse(evt.data) : evt.data; }
      catch (e) { finish(); if (options.onExit) options.onExit("UNKNOWN_ERROR"); return; }
      if (!data || data.nonce !== nonce) return;
      finish();
      if (data.type === "SUCCESS") { if (options.onSuccess) options.onSuccess(data.publicToken); }
      else if (options.onExit) { options.onExit(); }
    }
    return {
      open: function (opts) {
        opts = opts || {};
        nonce = Math.random().toString(36).slice(2, 7);
        done = false;
        var query = new URLSearchParams({ token: options.publicKey, origin: window.location.origin, nonce: nonce });
        if (opts.platform) query.set("platform", String(opts.platform).toUpperCase());
        window.addEventListener("message", onMessage);
        popup = window.open(BASE + "/linkstart/" + encodeURIComponent(options.publicKey) + "?" + query,
                            "rutterlinkwindow", "width=800,height=700");
        timer = setInterval(function () {
          if (!done && popup && popup.closed) { finish(); if (options.onExit) options.onExit("MERCHANT_CLOSED"); }
        }, 500);
      },
      exit: function () { if (popup) popup.close(); },
      destroy: function () { finish(); }
    };
  }
  window.Rutter = { create: create };
})();
"""


def rutter_link_js(server: SandboxServer, req: Request) -> Response:
    body = RUTTER_LINK_JS % {"base": json.dumps(server.base_url + "/rutter")}
    return Response(200, body.encode(), {"Cache-Control": "no-store"}, "text/javascript; charset=utf-8")


def rutter_linkstart(server: SandboxServer, req: Request, public_key: str) -> Response:
    """The Link window: pick a store, and the opener hears about it with the nonce it sent."""
    params = {**req.query, **(req.form() if req.method == "POST" else {})}
    if not hmac.compare_digest(public_key, server.credentials.rutter_public_key):
        return html_response(400, "<h1>Invalid public key</h1><p>This Rutter Link key is not valid.</p>")
    origin, nonce = params.get("origin", ""), params.get("nonce", "")
    if not origin.startswith(("http://", "https://")) or not nonce:
        return html_response(400, "<h1>Invalid link request</h1>")
    if req.method == "POST" and params.get("connection"):
        rs = server.state.rutter.get(params["connection"])
        if rs is None:
            return html_response(400, "<h1>Unknown connection</h1>")
        result = json.dumps({"type": "SUCCESS", "publicToken": rs.conn.public_token, "nonce": nonce})
        return html_response(200, _answer_page("Store connected", result, origin))
    platform = params.get("platform", "").upper()
    choices = [(s.conn.connection_id, f"{s.conn.store_name} ({s.conn.platform})")
               for s in server.state.rutter.values() if not platform or s.conn.platform == platform]
    return html_response(200, choose_page("Connect your store (Rutter Link sandbox)", choices,
                                          "connection", {"origin": origin, "nonce": nonce}))


def _answer_page(title: str, result: str, origin: str) -> str:
    """Hand the result to the opener (only at `origin`), then close: what Rutter's window does."""
    return (f"<!doctype html><html><head><title>{escape(title)}</title></head><body>"
            f"<h1>{escape(title)}</h1><p>You can close this window.</p>"
            f'<script type="application/json" id="link-result">{escape(result)}</script>'
            f"<script>window.opener && window.opener.postMessage({json.dumps(result)}, {json.dumps(origin)});"
            "setTimeout(function () { window.close(); }, 300);</script></body></html>")

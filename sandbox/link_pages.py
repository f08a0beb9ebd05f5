"""Stand-ins for the providers' hosted connect pages (Rutter Link, Stripe OAuth, Plaid Link).

Each is a one-form HTML page: pick what to connect, get redirected to `redirect_uri` with what the
real page would hand back (Rutter/Plaid `public_token`, Stripe `code` + `state`). With no
redirect_uri the token is simply shown, so a person can paste it.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from .httpkit import Request, Response, html_response, redirect

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


def rutter_link(server: SandboxServer, req: Request) -> Response:
    params = {**req.query, **(req.form() if req.method == "POST" else {})}
    if req.method == "POST" and params.get("connection"):
        rs = server.state.rutter.get(params["connection"])
        if rs is None:
            return html_response(400, "<h1>Unknown connection</h1>")
        redirect_uri = params.get("redirect_uri")
        if not redirect_uri:
            return html_response(200, f"<p>public_token: <code>{escape(rs.conn.public_token)}</code></p>")
        sep = "&" if "?" in redirect_uri else "?"
        back = {"public_token": rs.conn.public_token, "state": params.get("state", "")}
        return redirect(redirect_uri + sep + urlencode(back))
    choices = [(s.conn.connection_id, f"{s.conn.store_name} ({s.conn.platform})")
               for s in server.state.rutter.values()]
    return html_response(200, choose_page("Connect your store (Rutter Link sandbox)", choices,
                                          "connection", params))

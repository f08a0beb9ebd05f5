"""A stand-in partner web app on its own port (= another origin) that embeds the dashboard.

It does what a partner's real app does: its backend mints an embed session through the partner
API (`POST /api/v1/companies/<id>/embed-sessions/` with its API key), and its page puts the
returned `embed_url` in an iframe and listens to the frame's postMessage events. Used by
`manage.py demo_setup` and the browser tests; stdlib only.
"""

from __future__ import annotations

import html
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
  body {{ margin: 0; font: 15px/1.45 system-ui, sans-serif; background: #eef1f5; color: #1c2330; }}
  header {{ background: {brand}; color: #fff; padding: .9rem 1.25rem; font-weight: 600; }}
  main {{ max-width: 1240px; margin: 1rem auto; padding: 0 .75rem; }}
  .frame {{ background: #fff; border-radius: 10px; box-shadow: 0 1px 4px rgba(0,0,0,.12); overflow: hidden; }}
  iframe {{ display: block; width: 100%; height: 640px; border: 0; }}
  #expired {{ background: #fff4e0; color: #8a5300; padding: .75rem 1rem; border-radius: 8px; margin-bottom: .75rem; }}
</style></head>
<body>
<header>{title} <span style="font-weight:400;opacity:.85">· Business account · Reconciliation</span></header>
<main>
  <div id="expired" role="status" hidden>Your reconciliation session ended. <button type="button" onclick="location.reload()">Open it again</button></div>
  <div class="frame"><iframe id="tieout" name="tieout" title="Reconciliation dashboard" src="{src}"></iframe></div>
</main>
<script>
  // The partner side of the embed contract: accept messages only from the dashboard's origin.
  var dashboardOrigin = {origin};
  window.tieoutEvents = [];
  window.addEventListener("message", function (evt) {{
    if (evt.origin !== dashboardOrigin || !evt.data || typeof evt.data.type !== "string") return;
    window.tieoutEvents.push(evt.data);
    if (evt.data.type === "tieout:resize") document.getElementById("tieout").style.height = Math.max(evt.data.height, 320) + "px";
    if (evt.data.type === "tieout:session-expired") document.getElementById("expired").hidden = false;
  }});
</script>
</body></html>"""


def mint_embed_url(*, api_base: str, api_key: str, company_id: str, permissions=("read", "write")) -> str:
    """What the partner's backend does on each page view: create a session, get its URL."""
    response = httpx.post(
        f"{api_base.rstrip('/')}/api/v1/companies/{company_id}/embed-sessions/",
        headers={"Authorization": f"Bearer {api_key}"}, json={"permissions": list(permissions)}, timeout=10,
    )
    response.raise_for_status()
    return response.json()["embed_url"]


class PartnerPageServer:
    """Serve the partner page at http://host:port/; `embed_url()` is called once per page view."""

    def __init__(self, *, embed_url, dashboard_origin: str, title="Acme Bank", brand="#0b5cad",
                 host="127.0.0.1", port=0):
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - stdlib name
                if self.path.split("?")[0] != "/":
                    self.send_error(404)
                    return
                try:
                    src = outer.embed_url()
                except Exception as exc:  # show the partner-side failure instead of a blank frame
                    body = f"<h1>Could not mint an embed session</h1><pre>{html.escape(str(exc))}</pre>".encode()
                    self.send_response(502)
                else:
                    body = PAGE.format(title=html.escape(title), brand=brand, src=html.escape(src),
                                       origin=json.dumps(dashboard_origin)).encode()
                    self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.embed_url = embed_url
        self._httpd = ThreadingHTTPServer((host, port), Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self.origin = f"http://{host}:{self.port}"
        self.url = self.origin + "/"
        self._thread = None

    def start(self) -> PartnerPageServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True, name="partner-page")
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

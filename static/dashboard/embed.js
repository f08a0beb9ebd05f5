// The embedded dashboard's only script: talk to the partner page, expire cleanly, small UI glue.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("embed-config").textContent);
  var framed = window.parent !== window;

  // postMessage goes only to the partner's own origin, never "*". Chromium tells us who framed us;
  // otherwise the referrer does; it must be one of the partner's allowed origins either way.
  function parentOrigin() {
    var candidates = [];
    if (window.location.ancestorOrigins && window.location.ancestorOrigins.length) {
      candidates.push(window.location.ancestorOrigins[0]);
    }
    try { if (document.referrer) candidates.push(new URL(document.referrer).origin); } catch (e) {}
    for (var i = 0; i < candidates.length; i++) {
      if (config.origins.indexOf(candidates[i]) !== -1) return candidates[i];
    }
    return config.origins.length === 1 ? config.origins[0] : null;
  }
  var target = framed ? parentOrigin() : null;
  function post(message) { if (target) window.parent.postMessage(message, target); }

  var lastHeight = 0;
  function sendHeight() {
    // The body, not the document: the document is never shorter than the iframe, so it could not shrink.
    var h = Math.ceil(document.body.getBoundingClientRect().height);
    if (h !== lastHeight) { lastHeight = h; post({ type: "tieout:resize", height: h }); }
  }
  if (window.ResizeObserver) new ResizeObserver(sendHeight).observe(document.body);
  window.addEventListener("load", sendHeight);

  var expired = false;
  function expire() {
    if (expired) return;
    expired = true;
    document.getElementById("expired").hidden = false;
    document.body.classList.add("is-expired");
    post({ type: "tieout:session-expired" });
  }
  var msLeft = config.expiresAt * 1000 - Date.now();
  setTimeout(expire, Math.max(msLeft, 0));
  document.body.addEventListener("tieout-session-expired", expire);  // HX-Trigger on a 401
  document.body.addEventListener("htmx:beforeRequest", function (evt) { if (expired) evt.preventDefault(); });

  // Expand / collapse a deposit: the first open loads its lines, later toggles only show/hide.
  document.body.addEventListener("htmx:beforeRequest", function (evt) {
    var btn = evt.detail.elt;
    if (!btn.classList || !btn.classList.contains("expand")) return;
    var row = document.getElementById(btn.getAttribute("aria-controls"));
    var open = btn.getAttribute("aria-expanded") === "true";
    if (open || row.dataset.loaded) {
      evt.preventDefault();
      btn.setAttribute("aria-expanded", String(!open));
      row.hidden = open;
    }
  });
  document.body.addEventListener("htmx:afterSwap", function (evt) {
    var cell = evt.detail.target;
    var row = cell.parentElement;
    if (row && row.classList.contains("breakdown-row")) {
      row.hidden = false;
      row.dataset.loaded = "1";
      var btn = document.querySelector('[aria-controls="' + row.id + '"]');
      if (btn) btn.setAttribute("aria-expanded", "true");
    }
    if (evt.detail.target.id === "main") {
      var h1 = document.querySelector("#main h1");
      if (h1) { h1.setAttribute("tabindex", "-1"); h1.focus({ preventScroll: true }); }
    }
    sendHeight();
  });

  function refreshConnections() {
    var list = document.getElementById("connection-list");
    var tab = document.querySelector('[data-tab="connections"]');
    if (list && tab) htmx.ajax("GET", tab.getAttribute("href"), { target: "#connection-list", swap: "outerHTML" });
  }
  // The Stripe window (same origin as this frame) reports back; refresh the connections list.
  window.addEventListener("message", function (evt) {
    if (evt.origin !== window.location.origin || !evt.data || evt.data.type !== "tieout:connected") return;
    refreshConnections();
    var next = document.getElementById("connect-next");
    if (next) next.textContent = "Connected. Syncing now…";
  });
  document.body.addEventListener("tieout-connected", refreshConnections);  // HX-Trigger of a link

  // Rutter Link and Plaid Link: the providers' own scripts (or the sandbox's stand-ins, same
  // interface), loaded when first needed; their onSuccess public token is posted to us.
  var scripts = {};
  function loadScript(src) {
    if (!scripts[src]) {
      scripts[src] = new Promise(function (resolve, reject) {
        var el = document.createElement("script");
        el.src = src; el.async = true; el.onload = resolve;
        el.onerror = function () { reject(new Error("could not load " + src)); };
        document.head.appendChild(el);
      });
    }
    return scripts[src];
  }
  function say(text) {
    var next = document.getElementById("connect-next");
    if (next) { next.textContent = ""; var p = document.createElement("p"); p.className = "error"; p.textContent = text; next.appendChild(p); }
  }
  function linked(button, publicToken) {
    htmx.ajax("POST", button.dataset.post, { source: button, target: "#connect-next", swap: "innerHTML",
                                             values: { public_token: publicToken } });
  }
  function embedToken() { return JSON.parse(document.body.getAttribute("hx-headers"))["X-Embed-Token"]; }
  var openers = {
    rutter: function (button, config) {
      var platform = document.getElementById("store-platform").value;
      return loadScript(config.rutter.js).then(function () {
        window.Rutter.create({
          publicKey: config.rutter.publicKey,
          onSuccess: function (publicToken) { linked(button, publicToken); },
          onExit: function (error) { if (error) say("The store was not connected."); }
        }).open({ platform: platform });
      });
    },
    plaid: function (button, config) {
      return fetch(button.dataset.token, { method: "POST", headers: { "X-Embed-Token": embedToken() } })
        .then(function (r) { return r.json().then(function (body) { if (!r.ok) throw new Error(body.error); return body; }); })
        .then(function (body) {
          return loadScript(config.plaid.js).then(function () {
            window.Plaid.create({
              token: body.link_token,
              onSuccess: function (publicToken) { linked(button, publicToken); },
              onExit: function (error) { if (error) say("The bank was not connected."); }
            }).open();
          });
        });
    }
  };
  // Manual match: the running total of the ticked payouts and what is left to the deposit.
  document.body.addEventListener("change", function (evt) {
    var form = evt.target.closest && evt.target.closest(".manual-pick");
    var line = form && form.querySelector(".selected-total");
    if (!line) return;
    var cents = function (v) { return Math.round(parseFloat(v) * 100); };
    var total = 0;
    form.querySelectorAll('input[name="payout"]:checked').forEach(function (b) { total += cents(b.dataset.amount); });
    var fmt = function (c) { return (c < 0 ? "−" : "") + (Math.abs(c) / 100).toLocaleString("en-US", { minimumFractionDigits: 2 }); };
    line.querySelector(".sel").textContent = fmt(total);
    line.querySelector(".diff").textContent = fmt(cents(line.dataset.deposit) - total) + " " + line.dataset.currency;
  });

  // Export: the filters on screen at the moment of the click, the token in a header (never in a
  // URL, which would end up in logs), the file handed to the browser as a download.
  document.body.addEventListener("click", function (evt) {
    var button = evt.target.closest && evt.target.closest("[data-export]");
    if (!button || expired) return;
    var form = document.getElementById(button.dataset.filters);
    var query = form ? new URLSearchParams(new FormData(form)).toString() : "";
    button.disabled = true;
    fetch(button.dataset.export + (query ? "?" + query : ""), { headers: { "X-Embed-Token": embedToken() } })
      .then(function (r) {
        if (!r.ok) throw new Error("The export failed (" + r.status + ").");
        var name = (r.headers.get("Content-Disposition") || "").match(/filename="([^"]+)"/);
        return r.blob().then(function (blob) { return [blob, name ? name[1] : "transactions.csv"]; });
      })
      .then(function (got) {
        var link = document.createElement("a");
        link.href = URL.createObjectURL(got[0]); link.download = got[1];
        document.body.appendChild(link); link.click(); link.remove();
        setTimeout(function () { URL.revokeObjectURL(link.href); }, 1000);
      })
      .catch(function (e) { window.alert(e.message); })
      .then(function () { button.disabled = false; });
  });
  document.body.addEventListener("click", function (evt) {
    var button = evt.target.closest && evt.target.closest("[data-link]");
    if (!button || expired) return;
    var config = JSON.parse(document.getElementById("link-config").textContent);
    openers[button.dataset.link](button, config).catch(function (e) { say(e.message || "Could not connect."); });
  });

  post({ type: "tieout:ready" });
})();

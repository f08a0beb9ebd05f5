"""A stand-in for Plaid's Link JS (https://cdn.plaid.com/link/v2/stable/link-initialize.js), served by
the sandbox at `<sandbox>/plaid/link/v2/stable/link-initialize.js` (`SandboxServer.plaid_link_js_url`).

Same surface and callback shapes as the real one (https://plaid.com/docs/link/web/):

    const handler = Plaid.create({
      token,                                   // from /link/token/create
      onSuccess(public_token, metadata),       // metadata: {institution: {name, institution_id},
                                               //   accounts: [{id, name, mask, type, subtype, …}],
                                               //   link_session_id, transfer_status, public_token}
      onExit(error, metadata),                 // error null when the user closed Link, else
                                               //   {error_type, error_code, error_message,
                                               //    display_message} (e.g. INVALID_LINK_TOKEN);
                                               //   metadata: {institution, status, link_session_id,
                                               //   request_id}
      onEvent(eventName, metadata),            // OPEN, HANDOFF, EXIT
      onLoad(),                                // optional
    });
    handler.open(); handler.exit(); handler.destroy();

`open()` opens the sandbox's Link page for the token in a popup window; the page posts the outcome
back to its opener (`postMessage`, checked against the popup and the sandbox's origin) and the
handler calls onSuccess / onExit. Closing the popup is an exit with a null error.
"""

LINK_JS = r"""/* Tieout sandbox stand-in for Plaid Link (link-initialize.js). Not Plaid's code. */
(function () {
  "use strict";
  var SOURCE = "tieout-plaid-link";
  var script = document.currentScript;
  var src = script && script.src ? script.src : window.location.href;
  var base = src.replace(/\/link\/v2\/stable\/link-initialize\.js(?:[?#].*)?$/, "");
  var origin = new URL(base, window.location.href).origin;

  function nullMetadata(extra) {
    var out = {institution: null, status: null, link_session_id: null, request_id: null};
    for (var k in extra || {}) { out[k] = extra[k]; }
    return out;
  }

  function create(config) {
    config = config || {};
    var linkSessionId = "sandbox-" + Math.random().toString(36).slice(2, 12);
    var popup = null, poll = null, destroyed = false;

    function call(name, args) {
      if (typeof config[name] === "function") { config[name].apply(null, args); }
    }
    function event(name, extra) {
      var metadata = {view_name: null, link_session_id: linkSessionId, request_id: null,
                      timestamp: new Date().toISOString(), error_type: null, error_code: null,
                      error_message: null, exit_status: null, institution_id: null,
                      institution_name: null};
      for (var k in extra || {}) { metadata[k] = extra[k]; }
      call("onEvent", [name, metadata]);
    }
    function close() {
      if (poll) { clearInterval(poll); poll = null; }
      window.removeEventListener("message", onMessage);
      var open = popup;
      popup = null;
      if (open && !open.closed) { open.close(); }
      return open !== null;
    }
    function exit(error, metadata) {
      if (!close()) { return; }
      metadata = nullMetadata(metadata);
      metadata.link_session_id = linkSessionId;
      event("EXIT", {view_name: error ? "ERROR" : null, exit_status: metadata.status,
                     error_type: error && error.error_type, error_code: error && error.error_code,
                     error_message: error && error.error_message});
      call("onExit", [error || null, metadata]);
    }
    function onMessage(e) {
      var data = e.data || {};
      if (!popup || e.source !== popup || e.origin !== origin || data.source !== SOURCE) { return; }
      if (data.type === "SUCCESS") {
        var metadata = data.metadata || {};
        metadata.link_session_id = linkSessionId;
        close();
        event("HANDOFF", {});
        call("onSuccess", [data.public_token, metadata]);
      } else if (data.type === "EXIT") {
        exit(data.error || null, data.metadata || {});
      }
    }

    var handler = {
      open: function () {
        if (destroyed || popup) { return; }
        var query = new URLSearchParams({token: config.token || "", link_session_id: linkSessionId});
        window.addEventListener("message", onMessage);
        popup = window.open(base + "/link?" + query.toString(), "plaid-link-" + linkSessionId,
                            "popup,width=460,height=680");
        if (!popup) {  // blocked: there is no Link to report from
          popup = {closed: true, close: function () {}};
          exit(null, {status: "popup_blocked"});
          return;
        }
        event("OPEN", {view_name: "SELECT_INSTITUTION"});
        poll = setInterval(function () {
          if (popup && popup.closed) { exit(null, {status: "requires_credentials"}); }
        }, 250);
      },
      exit: function () { exit(null, {}); },
      submit: function () {},
      destroy: function () { destroyed = true; close(); },
    };
    setTimeout(function () { call("onLoad", []); }, 0);
    return handler;
  }

  window.Plaid = window.Plaid || {};
  window.Plaid.create = create;
  window.Plaid.version = "tieout-sandbox";
})();
"""

// The connect window: tell the dashboard frame that opened us (same origin only), then close.
(function () {
  var ok = document.body.dataset.ok === "1";
  if (window.opener && ok) {
    try { window.opener.postMessage({ type: "tieout:connected" }, window.location.origin); } catch (e) {}
    setTimeout(function () { window.close(); }, 1500);
  }
})();

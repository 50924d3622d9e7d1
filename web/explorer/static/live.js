// Live updates for the explorer's pages: the server pushes "block" and "bid"
// events over server-sent events; this script writes them into the page.
// Every page reads in full without it.
(function () {
  "use strict";
  if (!window.EventSource) { return; }
  function cell(tr, text, href, mono) {
    var td = document.createElement("td");
    if (mono) { td.className = "mono"; }
    var node = document.createTextNode(text);
    if (href) {
      var a = document.createElement("a");
      a.href = href;
      a.appendChild(node);
      node = a;
    }
    td.appendChild(node);
    tr.appendChild(td);
  }
  function short(s) { return s.length <= 16 ? s : s.slice(0, 8) + "\u2026" + s.slice(-6); }
  function prepend(tbody, tr, keep) {
    var empty = tbody.querySelector("tr.empty");
    if (empty) { empty.remove(); }
    tr.className = "fresh";
    tbody.insertBefore(tr, tbody.firstChild);
    while (keep && tbody.rows.length > keep) { tbody.deleteRow(tbody.rows.length - 1); }
  }
  var es = new EventSource("/events");
  // Close the stream when the page goes away (or into the back-forward
  // cache): a browser opens only six connections to one host, and open
  // streams of left pages would hold them.
  window.addEventListener("pagehide", function () { es.close(); });
  es.addEventListener("block", function (ev) {
    var b = JSON.parse(ev.data);
    var h = document.getElementById("live-height");
    if (h) { h.textContent = String(b.height); h.href = "/block/" + b.height; }
    var t = document.getElementById("blocks-live");
    if (t && t.tBodies.length) {
      var tr = document.createElement("tr");
      tr.setAttribute("data-height", String(b.height));
      cell(tr, String(b.height), "/block/" + b.height);
      cell(tr, b.time);
      cell(tr, String(b.num_txs));
      if (t.tHead && t.tHead.rows[0].cells.length === 6) {
        cell(tr, String(b.num_events));
        cell(tr, short(b.proposer), null, true);
      }
      cell(tr, short(b.hash), null, true);
      prepend(t.tBodies[0], tr, 50);
    }
  });
  es.addEventListener("bid", function (ev) {
    var b = JSON.parse(ev.data);
    var t = document.getElementById("bids-live");
    if (!t || t.getAttribute("data-order") !== String(b.order_id)) { return; }
    var tr = document.createElement("tr");
    tr.setAttribute("data-provider", b.provider);
    cell(tr, String(b.height), "/block/" + b.height);
    cell(tr, b.kind);
    cell(tr, b.provider, "/provider/" + b.provider, true);
    cell(tr, b.price);
    prepend(t.tBodies[0], tr, 0);
  });
}());

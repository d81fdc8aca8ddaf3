// Community chat: appends messages pushed by the server (Server-Sent Events). The page works
// without it; this only saves a reload.
(function () {
  var log = document.getElementById("chat-log");
  if (!log || !window.EventSource) return;
  var source = new EventSource(log.getAttribute("data-stream"));
  source.addEventListener("open", function () {
    log.setAttribute("data-live", "true");
  });
  source.addEventListener("message", function (e) {
    if (document.getElementById("chat-" + e.lastEventId)) return;
    var empty = document.getElementById("chat-empty");
    if (empty) empty.remove();
    var t = document.createElement("template");
    t.innerHTML = e.data.trim();
    log.appendChild(t.content);
  });
})();

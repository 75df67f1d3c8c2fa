// The demo host page: opens the flow in a frame or a popup and lists the events it receives. A real host
// does the same: it checks the sender's origin and the `source` field before trusting a message.
"use strict";
(function () {
  const params = new URLSearchParams(location.search);
  const flowOrigin = location.origin;
  const state = params.get("state") || "demo-state";
  const events = document.getElementById("events");
  const slot = document.getElementById("slot");
  const provider = document.getElementById("provider");
  if (params.get("provider")) provider.value = params.get("provider");

  function flowUrl() {
    return flowOrigin + "/connect/" + encodeURIComponent(provider.value) + "?state=" + encodeURIComponent(state);
  }

  function closeFrame() {
    slot.replaceChildren();
  }

  window.addEventListener("message", function (event) {
    if (event.origin !== flowOrigin) return;
    const data = event.data;
    if (!data || data.source !== "credentials-flow") return;
    const item = document.createElement("li");
    item.dataset.event = data.event;
    item.textContent = JSON.stringify(data);
    events.append(item);
    if (data.event === "exit" || data.event === "success") {
      setTimeout(closeFrame, data.event === "success" ? 1500 : 0);
    }
  });

  document.getElementById("open-frame").addEventListener("click", function () {
    const frame = document.createElement("iframe");
    frame.title = "Connect an account";
    frame.src = flowUrl();
    frame.width = "480";
    frame.height = "720";
    slot.replaceChildren(frame);
  });

  document.getElementById("open-popup").addEventListener("click", function () {
    window.open(flowUrl(), "credentials-flow", "popup,width=480,height=720");
  });
})();

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

  const link = document.getElementById("link");
  const linkNote = document.getElementById("link-note");

  // The link to the flow, as the host's backend builds it for this user (signed when the server requires
  // signed links: expiring, single use). A real host builds it on its own server, as the README shows.
  async function flowUrl() {
    const query = new URLSearchParams({ provider: provider.value, state: state });
    const answer = await fetch("/demo/link?" + query.toString(), { cache: "no-store" });
    const built = await answer.json();
    link.textContent = built.url;
    linkNote.textContent = built.signed
      ? "Signed with LINK_SECRET: expires in ten minutes, opens one sign-in."
      : "Signed links are off (the default in sandbox mode): the page opens without a signature.";
    return flowOrigin + built.url;
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

  document.getElementById("open-frame").addEventListener("click", async function () {
    const frame = document.createElement("iframe");
    frame.title = "Connect an account";
    frame.src = await flowUrl();
    frame.width = "480";
    frame.height = "720";
    slot.replaceChildren(frame);
  });

  document.getElementById("open-popup").addEventListener("click", async function () {
    // Opened at once, so the browser counts it as the click's; the link follows once the backend made it.
    const popup = window.open("about:blank", "credentials-flow", "popup,width=480,height=720");
    const url = await flowUrl();
    if (popup) popup.location.href = url;
  });
})();

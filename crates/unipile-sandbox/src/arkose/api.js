// Stand-in for the Arkose Labs client API, served by the Unipile sandbox. It speaks the same
// interface as the real script: it finds its own <script> tag, calls the global function named in
// its data-callback with an enforcement object, and draws the challenge in config.selector.
// The public key in its URL picks a behaviour: "...-error" reports an error instead of drawing,
// "...-fail-once" fails the first verification and passes the next one.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) return;
  var callback = window[script.getAttribute("data-callback")];
  if (typeof callback !== "function") return;
  var match = /\/v2\/([^/]+)\/api\.js/.exec(script.src);
  var publicKey = match ? decodeURIComponent(match[1]) : "";
  var reportsError = /-error$/.test(publicKey);
  var failOnce = /-fail-once$/.test(publicKey);
  var config = {};
  var failedOnce = false;

  function call(name, event) {
    if (typeof config[name] === "function") config[name](event);
  }

  function token() {
    var blob = (config.data && config.data.blob) || "";
    var found = /(?:^|\|)token=([^|]*)\|/.exec(blob);
    return found ? found[1] : "";
  }

  function button(label, onClick) {
    var b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    b.style.marginRight = "0.5rem";
    b.addEventListener("click", onClick);
    return b;
  }

  function draw() {
    var target = config.selector ? document.querySelector(config.selector) : null;
    if (!target) return;
    var box = document.createElement("div");
    box.setAttribute("role", "group");
    box.setAttribute("aria-label", "Sandbox security check");
    box.setAttribute("data-public-key", publicKey);
    // Echoed as an attribute so tests can check the blob arrived unchanged.
    box.setAttribute("data-blob", (config.data && config.data.blob) || "");
    box.style.border = "2px dashed #888";
    box.style.padding = "1rem";
    var text = document.createElement("p");
    text.textContent = "Sandbox security check: no real CAPTCHA is shown.";
    box.appendChild(text);
    box.appendChild(button("Verify", function () {
      if (failOnce && !failedOnce) {
        failedOnce = true;
        call("onFailed", { token: token() });
      } else {
        call("onCompleted", { token: token() });
      }
    }));
    box.appendChild(button("Fail", function () {
      call("onFailed", { token: token() });
    }));
    target.replaceChildren(box);
    call("onShown", { token: token() });
    call("onResize", { width: "100%", height: "140px" });
  }

  callback({
    setConfig: function (next) {
      config = next || {};
      if (reportsError) {
        call("onError", { error: { error: "sandbox: the challenge could not be created" } });
        return;
      }
      call("onReady", {});
      draw();
    },
    reset: function () {
      draw();
    },
    run: function () {
      draw();
    },
  });
})();

// Keeps the address bar on the dashboard's what-if and copies it; tells the kernel
// which what-if the page was opened with (once, when the page first shows).
function render({ model, el }) {
  const button = document.createElement("button");
  button.className = "sx-download-button sx-copy-link";
  const sync = () => {
    button.textContent = model.get("label");
    button.title = model.get("hint") || "";
  };
  const follow = () => {
    const query = model.get("query");
    const url = window.location.pathname + (query ? "?" + query : "") + window.location.hash;
    window.history.replaceState(null, "", url);
  };
  sync();
  model.on("change:label", sync);
  model.on("change:hint", sync);
  model.on("change:query", follow);
  button.addEventListener("click", async () => {
    follow();
    const done = (text) => {
      button.textContent = text;
      setTimeout(sync, 2000);
    };
    try {
      await navigator.clipboard.writeText(window.location.href);
      done("Link copied");
    } catch (e) {
      window.prompt("Copy this link:", window.location.href);
    }
  });
  if (!window.__sxLinkOpened) {
    window.__sxLinkOpened = true;
    model.send({ event: "open", query: window.location.search.replace(/^\?/, "") });
  } else {
    follow();
  }
  el.appendChild(button);
}
export default { render };

function render({ model, el }) {
  const button = document.createElement("button");
  button.className = "sx-download-button";
  const sync = () => {
    button.textContent = model.get("label");
    button.title = model.get("hint") || "";
  };
  sync();
  model.on("change:label", sync);
  model.on("change:hint", sync);
  button.addEventListener("click", () => {
    button.disabled = true;  // a board page takes a second to draw: one click, one file
    button.classList.add("sx-busy");
    model.send({ event: "download" });
  });
  model.on("msg:custom", (msg, buffers) => {
    if (!msg || (msg.event !== "file" && msg.event !== "failed")) return;
    button.disabled = false;
    button.classList.remove("sx-busy");
    if (msg.event === "failed") return;
    const body = buffers && buffers.length ? buffers[0] : msg.content;  // bytes travel as a buffer
    const blob = new Blob([body], { type: msg.mime });
    const url = URL.createObjectURL(blob);
    const a = document.createElement("a");
    a.href = url;
    a.download = msg.filename;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  });
  el.appendChild(button);
}
export default { render };

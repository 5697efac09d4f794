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
  button.addEventListener("click", () => model.send({ event: "download" }));
  model.on("msg:custom", (msg) => {
    if (!msg || msg.event !== "file") return;
    const blob = new Blob([msg.content], { type: msg.mime });
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

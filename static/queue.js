// Refresh the queue's rows every few seconds without reloading the page (no inline script).
(function () {
  const rows = document.getElementById("queue-rows");
  const note = document.getElementById("queue-updated");
  if (!rows) return;
  async function refresh() {
    // Don't swap rows under a pointer or keyboard focus on a Take button.
    if (rows.contains(document.activeElement) && document.activeElement.tagName === "BUTTON") return;
    try {
      const response = await fetch(rows.dataset.src, { headers: { Accept: "text/html" }, credentials: "same-origin" });
      if (response.redirected || !response.ok) { window.location.reload(); return; }
      rows.innerHTML = await response.text();
      note.textContent = "Updated " + new Date().toLocaleTimeString("en-GB");
    } catch (error) {
      note.textContent = "Could not update: retrying";
    }
  }
  setInterval(refresh, 5000);
})();

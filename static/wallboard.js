// Keep the supervisors' wallboard up to date by polling its JSON (no inline script: strict CSP).
(function () {
  const board = document.getElementById("wallboard");
  const note = document.getElementById("wallboard-updated");
  if (!board) return;
  const clock = (seconds) => Math.floor(seconds / 60) + ":" + String(seconds % 60).padStart(2, "0");
  const percent = (value) => (value === null ? "—" : value + "%");

  function cell(text, className) {
    const td = document.createElement("td");
    td.textContent = text;
    if (className) td.className = className;
    return td;
  }

  function show(data) {
    board.querySelector('[data-field="waiting"]').textContent = data.waiting;
    board.querySelector('[data-field="longest_wait"]').textContent = clock(data.longest_wait_seconds);
    board.querySelector('[data-field="service_level"]').textContent = percent(data.service_level_percent);
    board.querySelector('[data-field="abandon_rate"]').textContent = percent(data.abandon_rate_percent);
    board.querySelector('[data-field="short_abandons"]').textContent = data.short_abandons;
    board.querySelector('[data-field="offered"]').textContent = data.offered;
    for (const [state, count] of Object.entries(data.operators)) {
      const shown = board.querySelector('[data-operators="' + state + '"]');
      if (shown) shown.textContent = count;
    }
    const rows = document.getElementById("in-progress");
    // Built with textContent, never innerHTML: an operator's name is text, not markup.
    const fresh = data.in_progress.map((call) => {
      const tr = document.createElement("tr");
      tr.append(cell(call.operator), cell(clock(call.seconds)));
      return tr;
    });
    if (!fresh.length) {
      const tr = document.createElement("tr");
      const none = cell("None", "muted");
      none.colSpan = 2;
      tr.append(none);
      fresh.push(tr);
    }
    rows.replaceChildren(...fresh);
  }

  async function refresh() {
    try {
      const response = await fetch(board.dataset.src, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (response.redirected || !response.ok) { window.location.reload(); return; }
      show(await response.json());
      note.textContent = "Updated " + new Date().toLocaleTimeString("en-GB");
    } catch (error) {
      note.textContent = "Could not update: retrying";
    }
  }
  setInterval(refresh, 3000);
})();

// The call page follows the line: every second it asks the desk what Twilio last reported
// (caller on the line, on hold or gone; the operator's phone; who is listening) and shows it,
// with a call timer. When the caller hangs up, the steps are withdrawn and the wrap-up remains.
(function () {
  "use strict";
  const root = document.getElementById("line");
  if (!root) return;
  const byId = (id) => document.getElementById(id);
  const POLL_MS = 1000;
  let startedAt = null;
  let over = false;

  function clock(seconds) {
    const minutes = Math.floor(seconds / 60);
    const rest = seconds % 60;
    return String(minutes).padStart(2, "0") + ":" + String(rest).padStart(2, "0");
  }

  function tick() {
    if (startedAt === null || over) return;
    byId("line-timer").textContent = clock(Math.max(0, Math.round((Date.now() - startedAt) / 1000)));
  }

  function setText(id, text) {
    const element = byId(id);
    if (element.textContent !== text) element.textContent = text;
  }

  function listeners(list) {
    const box = byId("line-listeners");
    const words = list.map((who) => who.words).join("|");
    if (box.dataset.shown === words) return;
    box.dataset.shown = words;
    box.replaceChildren();
    if (!list.length) { box.textContent = "Nobody"; return; }
    for (const who of list) {
      const badge = document.createElement("span");
      badge.className = "govuk-tag govuk-tag--yellow";
      badge.textContent = who.words;
      box.append(badge, " ");
    }
  }

  function swap(formId, buttonId, isOn, onAction, offAction, onLabel, offLabel) {
    const form = byId(formId);
    const base = root.dataset.src.replace(/\/line$/, "/");
    form.action = base + (isOn ? onAction : offAction);
    setText(buttonId, isOn ? onLabel : offLabel);
  }

  function show(line) {
    // The server's seconds, not the browser's clock, say how long the call has run.
    startedAt = Date.now() - line.seconds * 1000;
    tick();
    setText("line-caller", line.caller_words);
    setText("line-operator", line.operator_leg_words + (line.is_muted ? " (muted)" : ""));
    listeners(line.listeners);
    swap("hold-form", "hold-button", line.caller === "on_hold", "resume", "hold",
      "Resume the caller", "Hold the caller");
    swap("mute-form", "mute-button", line.is_muted, "unmute", "mute", "Unmute me", "Mute me");
    if (line.identity) setText("line-identity", line.identity.words);
    // A call-back verified after the first caller hung up brings the call back to life.
    if (line.is_over !== over) {
      over = line.is_over;
      byId("line-hung-up").hidden = !over;
      for (const part of document.querySelectorAll("[data-while-live]")) part.hidden = over;
    }
  }

  async function poll() {
    try {
      const response = await fetch(root.dataset.src, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (response.status === 404) return; // the call is no longer this operator's
      if (response.ok) show(await response.json());
    } catch (error) {
      // The next poll tries again; the page keeps what it last knew.
    }
    setTimeout(poll, POLL_MS);
  }

  setInterval(tick, 1000);
  poll();
})();

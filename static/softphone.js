// The console's softphone. With Twilio it is the Voice SDK's Device, registered under the
// staff member's opaque identity with a short-lived token that is refreshed before it expires;
// on a local desk the same panel asks the desk's local adapter about its leg instead. Either
// way the caller's name and the line come from the console (never from the token), and hold
// and mute are the desk's own REST calls to the conference, sent as the call page's forms.
(function () {
  "use strict";
  const root = document.getElementById("softphone");
  if (!root) return;
  const byId = (id) => document.getElementById(id);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const isTwilio = root.dataset.mode === "twilio";
  const POLL_MS = 1000;
  let leg = "idle"; // idle, ringing or connected: what this phone's own leg is doing
  let line = null; // the console's view of the call this phone is on
  let device = null;
  let incoming = null;
  let startedAt = null;

  function setText(id, text) {
    const element = byId(id);
    if (element.textContent !== text) element.textContent = text;
  }

  async function getJson(url) {
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error("The desk answered " + response.status);
    return response.json();
  }

  async function post(url, fields) {
    const body = new FormData();
    body.append("csrf_token", csrf);
    for (const [name, value] of Object.entries(fields || {})) body.append(name, value);
    const response = await fetch(url, { method: "POST", body, credentials: "same-origin", headers: { "X-CSRFToken": csrf } });
    return response;
  }

  // --- what the panel shows ---------------------------------------------------------------

  function show() {
    const caller = line ? line.caller_name : "—";
    setText("sp-caller", caller);
    setText("sp-line", line ? line.caller_words + " · " + line.operator_leg_words : "—");
    const listening = line && line.listeners.length ? line.listeners.map((who) => who.words).join("; ") : "Nobody";
    setText("sp-listeners", listening);
    let status = "Ready: waiting for a call";
    if (leg === "ringing") status = "Ringing: " + caller;
    else if (leg === "connected" && line && line.is_over) status = "The caller has hung up";
    else if (leg === "connected" && line && line.listening) status = "Listening in: " + caller + " with " + line.operator_name;
    else if (leg === "connected") status = "On the call with " + caller + (line && line.caller === "on_hold" ? " (on hold)" : "");
    setText("sp-status", status);
    byId("sp-answer").disabled = leg !== "ringing";
    byId("sp-hang-up").disabled = leg === "idle";
    const canAdjust = leg === "connected" && line && !line.is_over && !line.listening;
    byId("sp-mute").disabled = !canAdjust;
    byId("sp-hold").disabled = !canAdjust;
    setText("sp-mute", line && line.is_muted ? "Unmute" : "Mute");
    setText("sp-hold", line && line.caller === "on_hold" ? "Resume" : "Hold");
    if (line && leg === "connected") {
      if (startedAt === null) startedAt = Date.now() - line.seconds * 1000;
    } else {
      startedAt = null;
      setText("sp-timer", "00:00");
    }
  }

  function tick() {
    if (startedAt === null) return;
    const seconds = Math.max(0, Math.round((Date.now() - startedAt) / 1000));
    setText("sp-timer", String(Math.floor(seconds / 60)).padStart(2, "0") + ":" + String(seconds % 60).padStart(2, "0"));
  }

  async function follow() {
    try {
      line = (await getJson(root.dataset.now)).line;
      if (!isTwilio) leg = (await getJson(root.dataset.leg)).state;
    } catch (error) {
      // Tried again at the next poll.
    }
    show();
    setTimeout(follow, POLL_MS);
  }

  // --- the phone's own leg: the Voice SDK, or the local adapter ----------------------------

  async function token() {
    return (await getJson(root.dataset.token)).token;
  }

  async function startDevice() {
    if (!window.Twilio || !window.Twilio.Device) {
      setText("sp-status", "The softphone could not start: reload the page.");
      return;
    }
    device = new window.Twilio.Device(await token(), { closeProtection: true });
    device.on("tokenWillExpire", async () => device.updateToken(await token()));
    device.on("incoming", (call) => {
      incoming = call;
      leg = "ringing";
      call.on("accept", () => { leg = "connected"; show(); });
      for (const ended of ["disconnect", "cancel", "reject"]) {
        call.on(ended, () => { incoming = null; leg = "idle"; show(); });
      }
      show();
    });
    device.on("error", (error) => setText("sp-status", "Softphone error: " + error.message));
    await device.register();
  }

  async function answer() {
    if (isTwilio) { if (incoming) incoming.accept(); return; }
    leg = (await (await post(root.dataset.answer)).json()).state;
    show();
  }

  async function hangUp() {
    if (isTwilio) { if (incoming) incoming.disconnect(); return; }
    leg = (await (await post(root.dataset.hangUp)).json()).state;
    show();
  }

  async function adjust(kind) {
    if (!line) return;
    const on = kind === "mute" ? !line.is_muted : line.caller !== "on_hold";
    const action = kind === "mute" ? (on ? "mute" : "unmute") : (on ? "hold" : "resume");
    await post(root.dataset.calls + line.call + "/" + action);
  }

  // --- the start-of-shift check ------------------------------------------------------------

  function result(text, good) {
    const item = document.createElement("li");
    item.textContent = (good ? "✓ " : "✗ ") + text;
    item.className = good ? "check-good" : "check-bad";
    byId("sp-check-results").append(item);
  }

  async function microphone() {
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      const track = stream.getAudioTracks()[0];
      const name = track && track.label ? " (" + track.label + ")" : "";
      stream.getTracks().forEach((t) => t.stop());
      result("Microphone: working" + name + ".", true);
    } catch (error) {
      result("Microphone: not available (" + error.name + "). Allow the microphone for this page, or plug one in.", false);
    }
  }

  async function network() {
    if (isTwilio) {
      // Device.runPreflight needs a token that may call out; the desk's tokens only receive
      // calls. So the check is the Device's own signalling connection to Twilio: registered,
      // and how long a fresh token takes to reach the desk and back.
      const started = performance.now();
      await token();
      const took = Math.round(performance.now() - started);
      const registered = device && device.state === "registered";
      result(registered
        ? "Network: connected to Twilio, ready for calls (" + took + " ms to the desk)."
        : "Network: not connected to Twilio. Check the network, or ask IT to allow Twilio's voice servers.",
        registered && took < 1000);
      return;
    }
    // A local desk: the line is this server, so its round trip is the network that counts.
    const times = [];
    for (let i = 0; i < 5; i += 1) {
      const started = performance.now();
      await getJson(root.dataset.now);
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    const median = Math.round(times[2]);
    result("Network: " + median + " ms to the desk" + (median < 300 ? ", good enough." : ", too slow for calls."), median < 300);
  }

  byId("sp-check").addEventListener("click", async () => {
    byId("sp-check-results").replaceChildren();
    byId("sp-check").disabled = true;
    await microphone();
    await network();
    byId("sp-check").disabled = false;
  });
  byId("sp-answer").addEventListener("click", answer);
  byId("sp-hang-up").addEventListener("click", hangUp);
  byId("sp-mute").addEventListener("click", () => adjust("mute"));
  byId("sp-hold").addEventListener("click", () => adjust("hold"));

  setInterval(tick, 1000);
  if (isTwilio) startDevice().catch((error) => setText("sp-status", "The softphone could not start: " + error.message));
  follow();
})();

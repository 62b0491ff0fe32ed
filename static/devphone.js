// The dev phone: a keypad and a screen in the browser. The call itself is carried by the desk's
// server (the relay), because only the server may hold the auth token that signs webhooks; this
// script sends it keys, lets time pass, and shows and speaks what the caller hears.
(function () {
  "use strict";
  const root = document.getElementById("devphone");
  if (!root) return;
  const byId = (id) => document.getElementById(id);
  const screenStatus = byId("phone-status");
  const clock = byId("phone-timer");
  const countdown = byId("phone-countdown");
  const keysShown = byId("phone-keys");
  const lines = byId("transcript");
  const empty = byId("transcript-empty");
  const callButton = byId("call-button");
  const hangUpButton = byId("hang-up-button");
  const sound = byId("sound");
  const callingFrom = byId("calling-from");
  const another = byId("another-number");
  const answerButton = byId("answer-button");
  const base = root.dataset.calls.replace(/\/calls$/, "");
  const RINGING = "The desk is calling you";

  const POLL_MS = 1000;
  const SCREEN = {
    listening: "Listening…",
    gathering: "Key your answer, then #",
    queued: "In the queue",
    on_hold: "On hold: connecting you to an operator",
  };
  let csrf = document.querySelector('meta[name="csrf-token"]').content;
  let call = null; // the relay's last report on this tab's call
  let inCall = false;
  let pending = 0; // requests to the relay not yet answered
  let chain = Promise.resolve(); // requests go one at a time, in order
  let keyed = ""; // keys pressed in this Gather
  let early = ""; // keys pressed while the relay was busy, for the Gather that follows
  let deadline = 0;
  let gatherTimer = null;
  let pollTimer = null;
  let clockTimer = null;
  let startedAt = 0;

  // --- talking to the relay ----------------------------------------------------------------

  async function refreshToken() {
    // Signing in or out in another tab of this browser starts a new session, and a new token.
    const page = await fetch(root.dataset.page, { credentials: "same-origin" });
    const html = new DOMParser().parseFromString(await page.text(), "text/html");
    const meta = html.querySelector('meta[name="csrf-token"]');
    if (meta) csrf = meta.content;
  }

  async function send(url, body) {
    for (let attempt = 0; ; attempt += 1) {
      const response = await fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify(body || {}),
      });
      const isJson = (response.headers.get("Content-Type") || "").includes("application/json");
      if (isJson) {
        const answer = await response.json();
        if (response.ok) return answer;
        throw new Error(answer.error || "The desk refused that.");
      }
      // Not the relay's answer: a refused CSRF token. One more try with a fresh one.
      if (attempt > 0) throw new Error("The desk did not answer (" + response.status + "). Reload the page.");
      await refreshToken();
    }
  }

  function relay(action, body, to) {
    pending += 1;
    chain = chain.then(async () => {
      try {
        const url = action ? callUrl(action) : to || root.dataset.calls;
        show(await send(url, body));
      } catch (error) {
        addLine({ kind: "event", text: error.message });
        if (!call || call.mode !== "ended") finish("The dev phone lost the call.");
      } finally {
        pending -= 1;
      }
      afterwards();
    });
  }

  function callUrl(action) {
    if (!call) throw new Error("There is no call to " + action + ".");
    return root.dataset.calls + "/" + encodeURIComponent(call.sid) + "/" + action;
  }

  function afterwards() {
    if (pending > 0 || !call) return;
    if (call.mode === "gathering" || (call.mode === "queued" && call.gather && early)) {
      const keys = early;
      early = "";
      for (const key of keys) press(key);
    } else if (call.mode !== "ended") {
      early = "";
      clearTimeout(pollTimer);
      pollTimer = setTimeout(() => relay("poll"), POLL_MS);
    }
  }

  // --- what the phone shows ----------------------------------------------------------------

  function show(report) {
    call = report;
    for (const entry of report.transcript) addLine(entry);
    if (report.mode === "connected") screenStatus.textContent = "Connected to " + report.connected_to;
    else if (report.mode !== "ended") screenStatus.textContent = SCREEN[report.mode] || report.mode;
    if (report.mode === "gathering") startGather(report.gather);
    else stopGather();
    if (report.mode === "ended") finish(report.ended_because);
  }

  function addLine(entry) {
    const item = document.createElement("li");
    item.className = entry.kind;
    if (entry.kind === "say") {
      const who = document.createElement("span");
      who.className = "who";
      who.textContent = "Desk";
      item.append(who, " " + entry.text);
      speak(entry.text);
    } else {
      item.textContent = entry.text;
    }
    lines.append(item);
    empty.hidden = true;
    lines.scrollTop = lines.scrollHeight; // the latest line in view, without moving the page
  }

  function tick() {
    const seconds = Math.floor((Date.now() - startedAt) / 1000);
    clock.textContent = String(Math.floor(seconds / 60)).padStart(2, "0") + ":" + String(seconds % 60).padStart(2, "0");
  }

  function finish(reason) {
    inCall = false;
    stopGather();
    clearTimeout(pollTimer);
    clearInterval(clockTimer);
    early = "";
    keysShown.textContent = "";
    screenStatus.textContent = "Call ended" + (reason ? ": " + reason : "");
    callButton.disabled = false;
    hangUpButton.disabled = true;
    callingFrom.disabled = false;
  }

  // --- keys and the Gather's timeout ---------------------------------------------------------

  function startGather(gather) {
    keyed = "";
    keysShown.textContent = "";
    // The timeout runs once the prompts have been heard, as on Twilio.
    deadline = Date.now() + (gather.prompt_seconds + gather.timeout) * 1000;
    clearInterval(gatherTimer);
    gatherTimer = setInterval(() => {
      const left = Math.ceil((deadline - Date.now()) / 1000);
      countdown.textContent = left <= gather.timeout ? "· sends in " + Math.max(left, 0) + " s" : "";
      if (left <= 0) submit(true);
    }, 250);
  }

  function stopGather() {
    clearInterval(gatherTimer);
    gatherTimer = null;
    countdown.textContent = "";
  }

  function submit(timedOut) {
    const digits = keyed;
    keyed = "";
    keysShown.textContent = "";
    stopGather();
    call.mode = "listening";
    relay("keys", { digits: digits, timed_out: timedOut });
  }

  function press(key) {
    flash(key);
    tone(key);
    if (!inCall) return;
    if (pending > 0) {
      early += key;
      return;
    }
    if (call && call.mode === "queued" && call.gather) {
      relay("keys", { digits: key, timed_out: false }); // the queue's offer: one key
      return;
    }
    if (!call || call.mode !== "gathering") return; // outside a Gather, Twilio ignores keys
    const gather = call.gather;
    if (key === gather.finish_on_key) {
      submit(false);
      return;
    }
    keyed += key;
    keysShown.textContent = keyed;
    deadline = Date.now() + gather.timeout * 1000; // each key restarts the timeout
    if (gather.num_digits && keyed.length >= gather.num_digits) submit(false);
  }

  function flash(key) {
    const button = root.querySelector('.key[data-key="' + key + '"]');
    if (!button) return;
    button.classList.add("pressed");
    setTimeout(() => button.classList.remove("pressed"), 150);
  }

  // --- calling and hanging up --------------------------------------------------------------

  function chosenNumber() {
    const choice = root.querySelector('input[name="caller"]:checked').value;
    if (choice === "withheld") return null;
    if (choice === "another") return another.value.trim();
    return root.querySelector('input[name="caller"][value="registered"]').dataset.number;
  }

  function dial() {
    if (inCall) return;
    begin("Calling…");
    relay(null, { caller: chosenNumber() });
  }

  function registeredNumber() {
    return root.querySelector('input[name="caller"][value="registered"]').dataset.number;
  }

  // While idle, the phone listens for the desk calling its registered number (a call-back).
  async function listenForRinging() {
    if (!inCall) {
      try {
        const url = base + "/ringing?number=" + encodeURIComponent(registeredNumber());
        const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
        if (response.ok) {
          const answer = await response.json();
          answerButton.hidden = !answer.ringing;
          if (answer.ringing) screenStatus.textContent = RINGING;
          else if (screenStatus.textContent === RINGING) screenStatus.textContent = "Ready to call";
        }
      } catch (error) {
        // The next look tries again.
      }
    }
    setTimeout(listenForRinging, POLL_MS);
  }

  function answerDesk() {
    if (inCall) return;
    answerButton.hidden = true;
    begin("Answering…");
    relay(null, { number: registeredNumber() }, base + "/answer");
  }

  function begin(status) {
    inCall = true;
    call = null;
    lines.replaceChildren();
    keysShown.textContent = "";
    startedAt = Date.now();
    tick();
    clockTimer = setInterval(tick, 1000);
    screenStatus.textContent = status;
    callButton.disabled = true;
    hangUpButton.disabled = false;
    callingFrom.disabled = true;
  }

  function hangUp() {
    if (!inCall) return;
    stopGather();
    clearTimeout(pollTimer);
    relay("hang-up");
  }

  // --- sound: the desk's words spoken, and keypad tones ---------------------------------------

  const canSpeak = "speechSynthesis" in window;
  function speak(text) {
    if (!sound.checked || !canSpeak) return;
    const utterance = new SpeechSynthesisUtterance(text);
    utterance.lang = "en-GB";
    window.speechSynthesis.speak(utterance);
  }

  const TONES = { 1: [697, 1209], 2: [697, 1336], 3: [697, 1477], 4: [770, 1209], 5: [770, 1336], 6: [770, 1477],
    7: [852, 1209], 8: [852, 1336], 9: [852, 1477], "*": [941, 1209], 0: [941, 1336], "#": [941, 1477] };
  let audio = null;
  function tone(key) {
    if (!sound.checked || !window.AudioContext || !TONES[key]) return;
    audio = audio || new AudioContext();
    const gain = audio.createGain();
    gain.gain.value = 0.08;
    gain.connect(audio.destination);
    for (const frequency of TONES[key]) {
      const oscillator = audio.createOscillator();
      oscillator.frequency.value = frequency;
      oscillator.connect(gain);
      oscillator.start();
      oscillator.stop(audio.currentTime + 0.12);
    }
  }

  // --- wiring --------------------------------------------------------------------------------

  if (!canSpeak) {
    sound.closest("label").append(" (not supported by this browser)");
  }
  sound.addEventListener("change", () => {
    if (!sound.checked && canSpeak) window.speechSynthesis.cancel();
  });
  for (const button of root.querySelectorAll(".key")) {
    button.addEventListener("click", () => press(button.dataset.key));
  }
  callButton.addEventListener("click", dial);
  answerButton.addEventListener("click", answerDesk);
  listenForRinging();
  hangUpButton.addEventListener("click", hangUp);
  another.addEventListener("focus", () => {
    root.querySelector('input[name="caller"][value="another"]').checked = true;
  });
  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const typing = event.target instanceof HTMLInputElement && event.target.type === "text";
    if (event.key === "Escape") {
      hangUp();
    } else if (event.key === "Enter" && !(event.target instanceof HTMLButtonElement)) {
      event.preventDefault();
      dial();
    } else if (!typing && /^[0-9*#]$/.test(event.key)) {
      event.preventDefault();
      press(event.key);
    }
  });
  // Closing the tab (or leaving the page) hangs up, as putting the phone down would, so that
  // no ghost caller stays in the queue. A beacon is what a browser still sends as a page goes;
  // it cannot carry a header, so the CSRF token goes in the form, where the desk also looks.
  window.addEventListener("pagehide", () => {
    if (!inCall || !call || call.mode === "ended") return;
    const form = new FormData();
    form.append("csrf_token", csrf);
    navigator.sendBeacon(callUrl("hang-up"), form);
  });
})();

// Read-backs and brokered requests without reloading the record (progressive enhancement: the
// forms post and come back to their row without it). The desk answers a request sent with
// X-Requested-With: fetch with JSON {message} (or {error}); a form in flight is not sent again.
(function () {
  "use strict";
  const status = document.getElementById("in-place-status");

  function mark(form, message) {
    const box = document.getElementById(form.dataset.mark);
    const tag = document.createElement("strong");
    tag.className = "govuk-tag govuk-tag--green";
    tag.textContent = "✓ Read to caller";
    box.replaceChildren(tag);
    if (status) status.textContent = message;
  }

  function replace(form, message) {
    const said = document.createElement("p");
    said.className = "govuk-body";
    said.id = "brokered-done";
    said.textContent = message;
    form.replaceWith(said);
    if (status) status.textContent = message;
  }

  document.querySelectorAll("form[data-in-place]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (form.dataset.sending) return;
      form.dataset.sending = "yes";
      const button = form.querySelector("button[type=submit]");
      if (button) button.disabled = true;
      fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { "X-Requested-With": "fetch", Accept: "application/json" },
        credentials: "same-origin",
      })
        .then(function (response) {
          return response.json().then(function (said) {
            if (!response.ok || said.error) throw new Error(said.error || "not sent");
            return said.message;
          });
        })
        .then(function (message) {
          (form.dataset.inPlace === "replace" ? replace : mark)(form, message);
        })
        .catch(function () {
          // Not sent in place: send it the ordinary way, and the page says what happened.
          delete form.dataset.sending;
          form.submit();
        })
        .finally(function () {
          if (button && form.isConnected) button.disabled = false;
          delete form.dataset.sending;
        });
    });
  });
})();

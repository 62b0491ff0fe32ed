// The operator's keyboard shortcuts, as the page lists them (templates/console/_shortcuts.html):
// Alt+Shift and a letter, so that typing into a field never sets one off. Each acts on an
// element marked data-shortcut="<letter>": a button is pressed, anything else given focus.
(function () {
  "use strict";

  function visible(element) {
    return element && !element.closest("[hidden]") && !element.disabled;
  }

  function target(letter) {
    if (letter === "r") {
      // The read-back of the row the operator is on, or else the first on the page.
      const row = document.activeElement && document.activeElement.closest("[data-item]");
      const inRow = row && row.querySelector('[data-shortcut="r"]');
      if (visible(inRow)) return inRow;
    }
    return Array.from(document.querySelectorAll('[data-shortcut="' + letter + '"]')).find(visible);
  }

  document.addEventListener("keydown", function (event) {
    if (!event.altKey || !event.shiftKey || event.ctrlKey || event.metaKey) return;
    const letter = (event.code || "").replace(/^Key/, "").toLowerCase();
    const found = target(letter);
    if (!found) return;
    event.preventDefault();
    if (found.tagName === "BUTTON") {
      found.click();
    } else {
      found.focus();
    }
  });
})();

"""What templates/_forms.html needs from Python to render a field as GOV.UK Frontend's input."""

from typing import Any


def field_attributes(
    field: Any, hint: str | None, autofocus: bool, css: str, shortcut: str | None = None
) -> dict[str, Any]:
    """The input's class (its error modifier when it has errors), and its aria-describedby: the
    hint and the error message, so that a screen reader reads both with the field; and the
    keyboard shortcut that moves to it (static/shortcuts.js), if it has one."""
    modifier = f" {css.split()[0]}--error" if field.errors else ""
    attributes: dict[str, Any] = {"class": css + modifier}
    described = [f"{field.id}-hint"] if hint else []
    described += [f"{field.id}-error"] if field.errors else []
    if described:
        attributes["aria-describedby"] = " ".join(described)
    if autofocus:
        attributes["autofocus"] = True
    if shortcut:
        attributes["data-shortcut"] = shortcut
        attributes["aria-keyshortcuts"] = f"Alt+Shift+{shortcut.upper()}"
    return attributes

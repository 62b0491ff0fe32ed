"""Printable activation letters: one page for each practitioner, made with fpdf2.

The page carries the one copy of the code there will ever be (the desk keeps only its keyed
hash), so a letter file is handed to whoever posts the letters and not kept.
"""

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from fpdf import FPDF

from verification.activation import Issued
from verification.models import Practitioner

INSTRUCTIONS = (
    "Your access to the ContactPoint mediated access desk is ready for you to set up. "
    "Nobody at the desk knows the PIN you will use: you choose it yourself, by telephone keypad.",
    "1. Call the desk from one of your registered phone numbers, with your token to hand.",
    "2. Key your 8 digit practitioner ID, then the hash key.",
    "3. When asked for your PIN, key the activation code above instead, then the hash key.",
    "4. Key the 6 digit code your token shows, then the hash key.",
    "5. Choose a PIN of 6 to 12 digits (not one digit repeated or a run such as 123456), "
    "key it, then key it again.",
    "The code works once. Keep this letter private, and destroy it when your PIN is set. "
    "If the code has expired or you did not expect this letter, contact your local "
    "ContactPoint team.",
)


@dataclass(frozen=True)
class Letter:
    practitioner: Practitioner
    issued: Issued


def _printable(text: str) -> str:
    # The PDF's built-in fonts cover Latin-1: other letters are written without their accents.
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(c for c in decomposed if not unicodedata.combining(c))
    return kept.encode("latin-1", "replace").decode("latin-1")


def render(letters: Iterable[Letter]) -> bytes:
    """The letters as one PDF, a page each."""
    pdf = FPDF(format="A4")
    pdf.set_title("ContactPoint desk activation letters")
    pdf.set_creator("Mediated Access Desk")
    pdf.set_auto_page_break(auto=True, margin=20)
    width = pdf.epw
    for letter in letters:
        p = letter.practitioner
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 16)
        pdf.cell(width, 10, "ContactPoint mediated access desk", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 11)
        pdf.cell(width, 6, "Private: for the addressee only", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(10)
        for line in (p.name, p.role, p.organisation):
            pdf.cell(width, 6, _printable(line), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(8)
        pdf.set_font("Helvetica", "B", 12)
        pdf.cell(width, 7, f"Practitioner ID: {p.id}", new_x="LMARGIN", new_y="NEXT")
        pdf.cell(width, 7, "Activation code:", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Courier", "B", 22)
        pdf.cell(width, 14, letter.issued.grouped, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 11)
        expires = letter.issued.expires_at.strftime("%d %B %Y, %H:%M UTC")
        pdf.cell(width, 7, f"Use it by {expires}.", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(6)
        for paragraph in INSTRUCTIONS:
            pdf.multi_cell(width, 6, paragraph, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
    return bytes(pdf.output())

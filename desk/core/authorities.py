"""England's local authorities, by ONS code (a few, until the full list arrives; issue 15).

The bulk enrolment checks each practitioner's authority against this list.
"""

from collections.abc import Iterator

# ONS GSS codes: E06 unitary, E07 district, E08 metropolitan, E09 London, E10 county.
_AUTHORITIES = {
    "E06000023": "Bristol, City of",
    "E08000003": "Manchester",
    "E08000005": "Rochdale",
    "E08000025": "Birmingham",
    "E09000007": "Camden",
    "E09000033": "Westminster",
    "E10000003": "Cambridgeshire",
}


def is_authority(code: str) -> bool:
    """Whether the code names an English local authority."""
    return code in _AUTHORITIES


def authority_name(code: str) -> str:
    """The authority's name; KeyError for a code that is none."""
    return _AUTHORITIES[code]


def all_authorities() -> Iterator[tuple[str, str]]:
    """Every authority as (code, name), by name."""
    return iter(sorted(_AUTHORITIES.items(), key=lambda item: item[1]))

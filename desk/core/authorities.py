"""England's upper-tier local authorities, by ONS code: the list the desk ships and loads.

A child's record, a practitioner and a local authority officer each name their authority by
its code (authorities.csv beside this module): county councils (E10), unitary authorities
(E06, the Isles of Scilly included), metropolitan districts (E08) and the London boroughs with
the City of London (E09), as they stand after the 2023 reorganisations and ONS's 2025 recoding
of Barnsley (E08000038) and Sheffield (E08000039). The file is the one place to change when
the map of local government changes.
"""

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "authorities.csv"
CODE_SHAPE = re.compile(r"E(06|08|09|10)\d{6}")


@dataclass(frozen=True)
class Authority:
    code: str
    name: str


@cache
def _by_code() -> dict[str, Authority]:
    with DATA.open(encoding="utf-8", newline="") as data:
        return {row["code"]: Authority(row["code"], row["name"]) for row in csv.DictReader(data)}


def all_authorities() -> tuple[Authority, ...]:
    """Every authority, by name."""
    return tuple(sorted(_by_code().values(), key=lambda a: a.name))


def is_authority(code: str) -> bool:
    """Whether `code` is the ONS code of one of the listed authorities."""
    return code in _by_code()


def authority_name(code: str) -> str:
    """The authority's name; KeyError for a code not on the list."""
    return _by_code()[code].name


def label(code: str | None) -> str:
    """How a page names an authority: its name, or the code itself if it is not on the list."""
    if code is None:
        return "not recorded"
    return _by_code()[code].name if is_authority(code) else code


def _folded(name: str) -> str:
    words = re.sub(r"[^a-z ]", " ", name.lower().replace("&", " and ")).split()
    noise = {"council", "city", "of", "county", "borough", "metropolitan", "district", "the"}
    return " ".join(w for w in words if w not in noise)


@cache
def _by_folded_name() -> dict[str, str]:
    return {_folded(a.name): a.code for a in _by_code().values()}


def code_for(text: str) -> str | None:
    """The code `text` names: a listed code, or a name such as "Rochdale Borough Council"."""
    value = text.strip()
    if is_authority(value.upper()):
        return value.upper()
    return _by_folded_name().get(_folded(value))

"""The purpose's own words, screened for what would identify a child.

A purpose explains why the caller needs the lookup ("a child protection enquiry for a school
transfer"); it is read by supervisors and, on request, in the manager's audit report, which hold
no child data. So words that look like a child's details are refused with a message saying which
kind, and the operator rephrases: dates (of birth), postcodes, ContactPoint or other numbers, and
pairs of capitalised words that read as a person's name.
"""

import itertools
import re

from desk.records import postcodes

MONTHS = (
    "jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|january|february|march|april|june|"
    "july|august|september|october|november|december"
)
DATE = re.compile(
    rf"\b\d{{1,4}}[/.-]\d{{1,2}}[/.-]\d{{1,4}}\b"
    rf"|\b\d{{1,2}}(st|nd|rd|th)?\s+({MONTHS})\b"
    rf"|\b({MONTHS})\s+\d{{1,2}}(st|nd|rd|th)?\b",
    re.IGNORECASE,
)
# A ContactPoint number is ten digits, a phone number more; six or more in a row say too much.
NUMBER = re.compile(r"\d(?:[\s-]?\d){5,}")
POSTCODE_LIKE = re.compile(r"\b[A-Z]{1,2}[0-9][A-Z0-9]?\s*[0-9][A-Z]{2}\b", re.IGNORECASE)
TITLED_WORD = re.compile(r"\b[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?\b")
# Capitalised words that are not names: sentence openings and the services a purpose names.
COMMON_WORDS = """
    a an the this that these my our his her their for from on in at to of and or with about
    after before re regarding checking check child children young person people family school
    academy college nursery primary secondary high gp health hospital nhs clinic police court
    council social services service care worker team agency local authority safeguarding
    protection enquiry inquiry referral concern welfare support early help education special
    needs caf lead professional youth offending housing mental transfer admission new urgent
    follow up call
"""
NOT_NAMES = frozenset(COMMON_WORDS.split())

KINDS = {
    "date": "a date",
    "number": "a number of six or more digits",
    "postcode": "a postcode",
    "name": "what looks like a person's name",
}


def identifying_detail(text: str) -> str | None:
    """What in the words would identify a child ('a date', 'a postcode', …), or None."""
    if DATE.search(text):
        return KINDS["date"]
    if NUMBER.search(text):
        return KINDS["number"]
    if any(_is_postcode(found.group(0)) for found in POSTCODE_LIKE.finditer(text)):
        return KINDS["postcode"]
    if _has_name_pair(text):
        return KINDS["name"]
    return None


def _is_postcode(candidate: str) -> bool:
    try:
        postcodes.normalise(candidate)
    except ValueError:
        return False
    return True


def _has_name_pair(text: str) -> bool:
    """Two capitalised words side by side, neither common: 'Amelia Brennan', not 'Social Care'."""
    words = list(TITLED_WORD.finditer(text))
    for first, second in itertools.pairwise(words):
        between = text[first.end() : second.start()]
        if between.strip() or not between:
            continue  # not neighbours
        if first.group(0).lower() not in NOT_NAMES and second.group(0).lower() not in NOT_NAMES:
            return True
    return False

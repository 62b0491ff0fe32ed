"""Names as the index compares them: an exact key, and a key for how they sound.

The exact key folds case and accents and drops the marks people write differently, so that
"O'Neill", "ONeill", "O Neill" and "o'neill" are one name, as are "Zoë" and "Zoe" and
"Smith-Jones" and "Smith Jones". A caller spelling a name aloud rarely says the apostrophe,
hyphen or accent, so none of them may decide whether a child is found.

The sound key is Metaphone over the exact key. Metaphone, not NYSIIS: it codes "th" as one
sound and "y" as a vowel, so Smith and Smyth match (NYSIIS gives SNAT and SNYT), and it codes
"c" and "k" alike, so Catherine and Kathryn match (NYSIIS keeps the first letter). Soundex is
looser still and keeps first letters apart too. Because the sound key is computed from the
exact key, two names with one exact key always share a sound key: a sound match includes the
exact match, and the search asks for the sound match only.
"""

import re
import unicodedata
from functools import lru_cache

import jellyfish

# What a name may hold besides letters, all ignored when names are compared: space, apostrophe
# (typed, or curly as word processors write it) and hyphen (typed, Unicode, non-breaking).
SEPARATORS = frozenset(" '\u2019\u2018-\u2010\u2011")
ASCII_LETTERS = re.compile(r"[a-z]+")


def has_only_name_characters(name: str) -> bool:
    """Whether a name holds only letters, spaces, apostrophes and hyphens.

    No wildcards: %, _ and * are not letters, so a name holding one is refused, never matched.
    """
    for char in name:
        category = unicodedata.category(char)
        # Accents may come as combining marks (category M) after their letter.
        if char not in SEPARATORS and not category.startswith(("L", "M")):
            return False
    return True


def letter_count(name: str) -> int:
    """How many letters a name holds, not counting spaces, apostrophes, hyphens or accents."""
    return sum(1 for char in name if unicodedata.category(char).startswith("L"))


# Names repeat: an import of millions of children computes each common name's keys once.
@lru_cache(maxsize=1 << 16)
def name_key(name: str) -> str:
    """The name folded for exact comparison: no case, accents, spaces, apostrophes or hyphens."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(
        char
        for char in decomposed
        if char not in SEPARATORS and not unicodedata.category(char).startswith("M")
    )


@lru_cache(maxsize=1 << 16)
def phonetic_key(name: str) -> str:
    """The name's sound (Metaphone of its exact key); names not in Latin letters match exactly."""
    key = name_key(name)
    if not ASCII_LETTERS.fullmatch(key):
        # Metaphone knows only English spelling: it would drop Cyrillic or Arabic letters
        # and let unrelated names collide, so such names are compared by their exact key.
        return key
    # Metaphone drops some names to nothing ("Aa"); an empty key would match every such name.
    return jellyfish.metaphone(key) or key


def first_given_name(given_names: str) -> str:
    """The first of a child's given names, the one a caller is sure to know."""
    parts = given_names.split()
    return parts[0] if parts else ""

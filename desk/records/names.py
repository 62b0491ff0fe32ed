"""Names as the index compares them: an exact key, and the keys for how they sound.

The exact key folds case and accents and drops the marks people write differently, so that
"O'Neill", "ONeill", "O Neill" and "o'neill" are one name, as are "Zoë" and "Zoe" and
"Smith-Jones" and "Smith Jones". A caller spelling a name aloud rarely says the apostrophe,
hyphen or accent, so none of them may decide whether a child is found.

The sound keys are made from the exact key in three steps:

1. A name said unlike its spelling is replaced by a spelling of how it is said, from the small
   table in desk.records.spellings ("Siobhan" is coded as "Shivaun", "Cholmondeley" as
   "Chumley"): no sound key can hear those.
2. The name is transliterated to ASCII with anyascii, so letters that are not an accented Latin
   letter are written as an operator types them from hearing: ø as o, æ as ae, ł as l, þ as th,
   ð as d, đ as dj (by the table), Turkish dotless i as i, Cyrillic and Greek in Latin letters.
3. Double Metaphone codes the ASCII spelling: a primary key and, for spellings it can hear two
   ways, an alternate ("Smith" SM0 or XMT, "Nicholls" NXLS or NKLS). Two names sound alike when
   either key of one equals either key of the other.

Double Metaphone, not Metaphone, NYSIIS or Soundex, because it was measured to be best on
British and Irish names (tests/desk/records/name_variants.csv; the figures are in
docs/performance.md): it codes the silent letters and doubled consonants of English spelling
(Thomson/Tomson, Stephenson/Stevenson, Vaughan/Vaughn, Rees/Rhys), Mac and Mc alike, and "ch"
both ways; with the table it found 99% of the test set's pairs (Metaphone 76%) and joined none
of its different names. Soundex finds more pairs than Double Metaphone alone but joins Stevens
to Stevenson and Roberts to Robertson, because it keeps only the first four sounds. The price,
also measured there: a search by family name and date of birth finds a little more (Jones
with Owens, Hall with Howell), so "too many to list" is somewhat more common.

The promise: because every key is computed from the exact key, two names with one exact key
always share their sound keys, so a sound match includes the exact match and the search asks
for the sound match only. A name with no letters anyascii can write in ASCII keeps its exact
key as its sound key (lower case, so it never equals a Double Metaphone code, which is upper
case): such names match exactly, never everything.
"""

import re
import unicodedata
from functools import lru_cache

from anyascii import anyascii
from doublemetaphone import doublemetaphone

from desk.records.spellings import LETTERS, SAID_AS

# What a name may hold besides letters, all ignored when names are compared: space, apostrophe
# (typed, or curly as word processors write it) and hyphen (typed, Unicode, non-breaking).
SEPARATORS = frozenset(" '\u2019\u2018-\u2010\u2011")
NOT_ASCII_LETTERS = re.compile(r"[^a-z]+")
WRITTEN_OUT = str.maketrans(LETTERS)


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


def ascii_letters(key: str) -> str:
    """An exact key written in the ASCII letters an operator would type for it."""
    return NOT_ASCII_LETTERS.sub("", anyascii(key.translate(WRITTEN_OUT)).lower())


@lru_cache(maxsize=1 << 16)
def sound_keys(name: str) -> tuple[str, str | None]:
    """The name's sound: its primary key, and its alternate if Double Metaphone hears two."""
    key = name_key(name)
    letters = ascii_letters(SAID_AS.get(key, key))
    primary, alternate = doublemetaphone(letters) if letters else ("", "")
    if not primary:
        # Nothing in ASCII letters, or nothing Double Metaphone codes ("W"): an empty key would
        # match every such name, so the name is compared by its exact key alone.
        return key, None
    return primary, alternate if alternate and alternate != primary else None


def phonetic_key(name: str) -> str:
    """The name's primary sound key (see sound_keys)."""
    return sound_keys(name)[0]


def alternate_key(name: str) -> str | None:
    """The name's alternate sound key, or None when Double Metaphone hears it one way only."""
    return sound_keys(name)[1]


def sound_alike(one: str, other: str) -> bool:
    """Whether two names share a sound key: either key of one equals either key of the other."""
    keys = {key for key in sound_keys(one) if key}
    return any(key in keys for key in sound_keys(other) if key)


def first_given_name(given_names: str) -> str:
    """The first of a child's given names, the one a caller is sure to know."""
    parts = given_names.split()
    return parts[0] if parts else ""

"""Names said unlike their spelling: the sound to code instead, where a sound key cannot help.

Data only, read by desk.records.names: each entry maps a name's exact key (name_key: folded,
no accents, spaces, apostrophes or hyphens) to a spelling of how it is said, which is then coded
like any other name. An entry joins one spelling to the sound of another; it never splits
names that already share a sound key. Measured on tests/desk/records/name_variants.csv (see
docs/performance.md): every entry there mends a pair Double Metaphone misses.

Kept small on purpose: each entry is a name callers and records really write both ways, and
each one makes the spoken form's sound key a little more crowded.
"""

# Letters to write out before transliterating, where anyascii's one-letter answer is not the
# spelling an operator types: Serbian and Croatian đ is written "dj" without its stroke
# ("Djordje", "Djuric"), not "d".
LETTERS = {"đ": "dj"}

SAID_AS = {
    # British surnames spelt one way and said another, of the kind the BBC Pronouncing
    # Dictionary of British Names records.
    "featherstonehaugh": "fanshawe",
    "cholmondeley": "chumley",
    "marjoribanks": "marchbanks",
    "beauchamp": "beecham",
    "colquhoun": "cahoon",
    "menzies": "mingis",
    "dalziel": "deeyell",
    # English and Scottish surnames with a letter that is written and not said, which Double
    # Metaphone codes all the same.
    "thompson": "thomson",
    "sampson": "samson",
    "simpson": "simson",
    "haigh": "hague",
    "hodgson": "hodson",
    "pugh": "pew",
    "mackintosh": "macintosh",
    "mccullough": "mcculloch",
    "urquhart": "urquart",
    "farquhar": "farquar",
    "docherty": "doherty",
    # Irish surnames whose "gh" between vowels is not said.
    "callaghan": "callahan",
    "ocallaghan": "ocallahan",
    "monaghan": "monahan",
    # English given names with a letter written and not said.
    "graeme": "graham",
    "grahame": "graham",
    "sean": "shaun",
    "freyja": "freya",
    # Irish, Scottish Gaelic and Welsh given names, as their anglicised spellings say them.
    "siobhan": "shivaun",
    "chevonne": "shivaun",
    "niamh": "neve",
    "sinead": "shinead",
    "caoimhe": "keeva",
    "ciara": "kiara",
    "cian": "kian",
    "tadhg": "teague",
    "roisin": "rosheen",
    "oisin": "osheen",
    "saoirse": "seersha",
    "dearbhla": "dervla",
    "sadhbh": "sive",
    "orlagh": "orla",
    "seamus": "shamus",
    "mhairi": "vari",
    "eilidh": "ailie",
    "cerys": "keris",
    "kerys": "keris",
}

"""How well names are matched: recall on variant spellings, and false matches at full size.

Two measurements, no database:

1. **The test set** (tests/desk/records/name_variants.csv): for each candidate way of keying
   names, the share of pairs of spellings of one name that share a key (recall), and the pairs
   of different names that must stay apart but share one.
2. **False matches per search** over a draw of children from the lookup benchmark's generator
   (desk.records.generate: its family and given names, with its shares of sound-alike
   spellings, dates of birth and postcodes). A child is drawn as bench.lookup draws one to
   search for, and every other child the search would also find is counted: by the family
   name and date of birth, and by the family and given name and postcode. Exact-key matches
   are counted apart from sound matches, so the table shows what matching by sound adds, and
   how often a search finds more than MAX_MATCHES children and lists none.

    python -m bench.names                       # the test set and 11 million children
    python -m bench.names --children 1000000 --searches 2000 --json
"""

import argparse
import csv
import itertools
import json
import random
import sys
import time
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

import jellyfish
from doublemetaphone import doublemetaphone

from desk.records import generate, names
from desk.records.search import MAX_MATCHES

ROOT = Path(__file__).resolve().parents[1]
VARIANTS = ROOT / "tests" / "desk" / "records" / "name_variants.csv"
TODAY = date(2026, 6, 1)

Keys = Callable[[str], frozenset[str]]


SAME, APART, VOWELS = "same", "apart", "vowels"


@dataclass(frozen=True)
class Pair:
    """Two spellings from the test set: of one name (same), of two that must differ (apart), or
    of two that differ only in their vowels (vowels), which every sound key joins.
    """

    relation: str
    part: str  # "family" or "given"
    one: str
    other: str


def test_set(path: Path = VARIANTS) -> list[Pair]:
    """Every pair of the test set: each two spellings on a "same" line, and each other line."""
    pairs = []
    with path.open(encoding="utf-8") as lines:
        for relation, part, *spellings in csv.reader(line for line in lines if line[0] != "#"):
            if relation == SAME:
                pairs += [Pair(SAME, part, *two) for two in itertools.combinations(spellings, 2)]
            elif relation in (APART, VOWELS):
                [one, other] = spellings
                pairs.append(Pair(relation, part, one, other))
            else:
                raise ValueError(f"{path}: {relation!r} is not same, apart or vowels")
    return pairs


def shares_a_key(keys: Keys, pair: Pair) -> bool:
    return not keys(pair.one).isdisjoint(keys(pair.other))


# The candidates measured. Each gives a name's keys; two names match if they share one.
def _exact(name: str) -> frozenset[str]:
    return frozenset([names.name_key(name)])


def _metaphone_before(name: str) -> frozenset[str]:
    # The desk's sound key until migration 0010: Metaphone, names not in a-z matched exactly.
    key = names.name_key(name)
    if not key.isascii() or not key.isalpha():
        return frozenset([key])
    return frozenset([jellyfish.metaphone(key) or key])


def _coded(code: Callable[[str], Iterable[str]]) -> Keys:
    """A candidate that codes the anyascii spelling, falling back on the exact key."""

    def keys(name: str) -> frozenset[str]:
        key = names.name_key(name)
        letters = names.ascii_letters(key)
        found = frozenset(k for k in code(letters) if k) if letters else frozenset()
        return found or frozenset([key])

    return keys


def _desk(name: str) -> frozenset[str]:
    return frozenset(key for key in names.sound_keys(name) if key)


CANDIDATES: dict[str, Keys] = {
    "exact key": _exact,
    "Metaphone (before)": _metaphone_before,
    "anyascii + Metaphone": _coded(lambda s: [jellyfish.metaphone(s)]),
    "anyascii + NYSIIS": _coded(lambda s: [jellyfish.nysiis(s)]),
    "anyascii + Soundex": _coded(lambda s: [jellyfish.soundex(s)]),
    "anyascii + Double Metaphone primary": _coded(lambda s: doublemetaphone(s)[:1]),
    "anyascii + Double Metaphone both keys": _coded(doublemetaphone),
    "the desk: table + anyascii + Double Metaphone both keys": _desk,
}
CHOSEN = "the desk: table + anyascii + Double Metaphone both keys"


@dataclass(frozen=True)
class Recall:
    """One candidate on the test set."""

    candidate: str
    pairs: int
    found: int
    apart: int
    joined: tuple[str, ...]  # pairs that must stay apart but share a key
    vowels: int
    vowels_joined: int

    @property
    def recall(self) -> float:
        return self.found / self.pairs


def recall(keys: Keys, pairs: Sequence[Pair], candidate: str = "") -> Recall:
    same, apart, vowels = ([p for p in pairs if p.relation == r] for r in (SAME, APART, VOWELS))
    return Recall(
        candidate=candidate,
        pairs=len(same),
        found=sum(shares_a_key(keys, p) for p in same),
        apart=len(apart),
        joined=tuple(f"{p.one}/{p.other}" for p in apart if shares_a_key(keys, p)),
        vowels=len(vowels),
        vowels_joined=sum(shares_a_key(keys, p) for p in vowels),
    )


@dataclass(frozen=True)
class Crowding:
    """Other children a search finds besides the one searched for, averaged over searches."""

    candidate: str
    form: str
    mean_found: float  # children found, the searched one included
    mean_exact: float  # of them, how many by the exact keys alone
    p99_found: int
    too_many: float  # share of searches finding more than MAX_MATCHES


@dataclass(frozen=True)
class Drawn:
    """The children of a draw as the name searches see them, and the searches drawn from them.

    Names are indexes into `names`. `birthdays[f * days + d]` counts the children with family
    name f born d days ago; `at[p]` lists, for each postcode searched, its children's family
    and given names with how many children have them.
    """

    names: tuple[str, ...]
    days: int
    birthdays: "array[int]"
    at: dict[int, list[tuple[int, int, int]]]
    searches: list[tuple[int, int, int, int]]  # family, given, days old, postcode


def draw(count: int, searches: int, seed: int) -> Drawn:
    """`count` children's names, dates of birth and postcodes, as the generator draws them.

    The generator's own methods make the names (family names by Faker's weights, one child in
    ten a sound-alike spelling); date of birth and postcode are drawn as generate.children
    draws them, uniform over the ages of the living and over the towns' postcodes. Then
    `searches` of the children are drawn to be searched for, as bench.lookup draws them.
    """
    make = generate._Children(seed, TODAY)
    rng = random.Random(seed + 1)  # noqa: S311 - repeatable made-up data  # nosec B311
    index: dict[str, int] = {}
    family, given, born, postcode = array("I"), array("I"), array("I"), array("I")
    genders, towns, codes = generate.GENDERS, generate.TOWNS, len(generate.INWARD_CODES)
    districts = {district: n for n, district in enumerate(d for _, ds in towns for d in ds)}
    days = make.under_18
    for _ in range(count):
        gender = genders[int(rng.random() * len(genders))]
        family.append(index.setdefault(make.family_name(), len(index)))
        given.append(index.setdefault(make.given_name(gender), len(index)))
        born.append(int(rng.random() * days))
        _, in_town = towns[int(rng.random() * len(towns))]
        district = districts[in_town[int(rng.random() * len(in_town))]]
        postcode.append(district * codes + int(rng.random() * codes))
    picked = [int(rng.random() * count) for _ in range(searches)]
    birthdays = array("I", bytes(4 * len(index) * days))
    for f, d in zip(family, born, strict=True):
        birthdays[f * days + d] += 1
    searched = {postcode[i] for i in picked}
    at_postcode = Counter(
        (p, f, g) for f, g, p in zip(family, given, postcode, strict=True) if p in searched
    )
    at: dict[int, list[tuple[int, int, int]]] = {}
    for (p, f, g), n in at_postcode.items():
        at.setdefault(p, []).append((f, g, n))
    return Drawn(
        names=tuple(index),
        days=days,
        birthdays=birthdays,
        at=at,
        searches=[(family[i], given[i], born[i], postcode[i]) for i in picked],
    )


def crowding(keys: Keys, drawn: Drawn, candidate: str = "") -> list[Crowding]:
    """What each search form finds, for each child drawn to be searched for."""
    # The names each name matches: by a shared key, and by the exact key alone.
    key_of = [keys(n) for n in drawn.names]
    exact_of = [names.name_key(n) for n in drawn.names]
    by_key: dict[str, set[int]] = {}
    for n, found in enumerate(key_of):
        for key in found:
            by_key.setdefault(key, set()).add(n)
    sounds = [frozenset().union(*(by_key[k] for k in found)) for found in key_of]
    exacts = [
        frozenset(m for m in sounds[n] if exact_of[m] == exact_of[n]) for n in range(len(sounds))
    ]
    birthdays, days = drawn.birthdays, drawn.days
    by_birth, by_birth_exact, by_postcode, by_postcode_exact = [], [], [], []
    for f, g, d, p in drawn.searches:
        by_birth.append(sum(birthdays[m * days + d] for m in sounds[f]))
        by_birth_exact.append(sum(birthdays[m * days + d] for m in exacts[f]))
        here = drawn.at.get(p, [])
        by_postcode.append(sum(n for mf, mg, n in here if mf in sounds[f] and mg in sounds[g]))
        by_postcode_exact.append(
            sum(n for mf, mg, n in here if mf in exacts[f] and mg in exacts[g])
        )
    return [
        _crowding(candidate, "family name + date of birth", by_birth, by_birth_exact),
        _crowding(candidate, "family + given name + postcode", by_postcode, by_postcode_exact),
    ]


def _crowding(candidate: str, form: str, found: list[int], exact: list[int]) -> Crowding:
    ordered = sorted(found)
    return Crowding(
        candidate=candidate,
        form=form,
        mean_found=sum(found) / len(found),
        mean_exact=sum(exact) / len(exact),
        p99_found=ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
        too_many=sum(n > MAX_MATCHES for n in found) / len(found),
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.names", description=__doc__)
    parser.add_argument("--children", type=int, default=11_000_000)
    parser.add_argument("--searches", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    args = parser.parse_args(argv)
    pairs = test_set()
    recalls = [recall(keys, pairs, name) for name, keys in CANDIDATES.items()]
    started = time.perf_counter()
    drawn = draw(args.children, args.searches, args.seed)
    print(
        f"drew {args.children:,} children in {time.perf_counter() - started:.0f} s", file=sys.stderr
    )
    crowded = [row for name, keys in CANDIDATES.items() for row in crowding(keys, drawn, name)]
    if args.json:
        print(
            json.dumps(
                {
                    "children": args.children,
                    "searches": args.searches,
                    "recall": [{**asdict(r), "recall": r.recall} for r in recalls],
                    "crowding": [asdict(c) for c in crowded],
                }
            )
        )
        return
    first = recalls[0]
    print(
        f"Test set: {first.pairs} pairs of one name's spellings, {first.apart} pairs of "
        f"different names, {first.vowels} pairs differing only in vowels.\n"
    )
    print("| candidate | recall | different names joined | vowel pairs joined |")
    print("|---|---|---|---|")
    for r in recalls:
        joined = ", ".join(r.joined) or "none"
        print(
            f"| {r.candidate} | {r.found}/{r.pairs} = {r.recall:.1%} | {len(r.joined)}/{r.apart}:"
            f" {joined} | {r.vowels_joined}/{r.vowels} |"
        )
    print(f"\nFound per search, {args.children:,} children, {args.searches:,} searches per form:\n")
    print(
        f"| candidate | form | found (mean) | of them exact (mean) | found p99 | > {MAX_MATCHES} |"
    )
    print("|---|---|---|---|---|---|")
    for c in crowded:
        print(
            f"| {c.candidate} | {c.form} | {c.mean_found:.2f} | {c.mean_exact:.2f} | "
            f"{c.p99_found} | {c.too_many:.1%} |"
        )


if __name__ == "__main__":
    main()

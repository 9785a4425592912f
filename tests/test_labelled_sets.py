"""The hand-labelled sets of bench/labelled/ stay usable: every label names a sentence of its article, in order,
with the fields bench/extraction_labels.py reads, and every article has its publication date."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

LABELLED = Path(__file__).resolve().parent.parent / "bench" / "labelled"
FIELDS = {"sentence", "checkworthy", "claimant", "claimant_aliases", "references", "time_reference", "claim_type",
          "standalone"}  # fmt: skip
TYPES = {"statistic", "quotation", "event", "causal", "comparison", "prediction", "policy", "other"}
SETS = sorted(p.name for p in LABELLED.iterdir() if p.is_dir())


def test_there_are_four_sets() -> None:
    assert SETS == ["set1", "set2", "set3", "set4"]


@pytest.mark.parametrize("name", SETS)
def test_every_label_is_a_sentence_of_its_article_in_order(name: str) -> None:
    directory = LABELLED / name
    meta = json.loads((directory / "meta.json").read_text(encoding="utf-8"))
    articles = sorted((directory / "articles").glob("*.txt"))
    assert articles and {a.stem for a in articles} == {p.stem for p in (directory / "labels").glob("*.jsonl")}
    for article in articles:
        text = article.read_text(encoding="utf-8")
        date.fromisoformat(meta[article.stem]["published"])
        position = 0
        lines = (directory / "labels" / f"{article.stem}.jsonl").read_text(encoding="utf-8").splitlines()
        for n, line in enumerate(filter(None, lines), 1):
            label = json.loads(line)
            where = f"{name}/{article.stem} line {n}"
            assert FIELDS <= set(label) <= FIELDS | {"note"}, where
            assert isinstance(label["checkworthy"], bool) and label["claim_type"] in TYPES, where
            found = text.find(label["sentence"], position)
            assert found >= 0, f"{where}: sentence not in the article after the one before"
            position = found + len(label["sentence"])
            for reference in label["references"]:
                assert reference["text"] in label["sentence"], where
        assert not text[position:].strip(), f"{name}/{article.stem}: text after the last labelled sentence"

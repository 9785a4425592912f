"""How often the rules that keep a line from being a claim would leave out real prose (run: python
bench/non_claim_rules.py).

Extraction never makes a claim of a table's row or the "Source: ..." line under a table (`app.references.table_row`:
at least two figures, no more words than figures, no sentence's end; a cell alone; a row between pipes), nor of a
link to another story inside an article ("Read more: ...", "RELATED: ...": `app.references.teaser`). PDFs hand tables
over as lines of text, and web pages keep their teasers in the body. This prints, per labelled data set of sentences
people said or wrote (debates, speeches, tweets, fact-checked statements, an LLM's answers), how many texts each rule
matches and how many of those are labelled check-worthy: every match is a sentence extraction would lose, so the
numbers should be (close to) zero.

Data sets (read in place from ../shared/eval or CLAIMDESK_EVAL_DIR): ClaimBuster crowdsourced and groundtruth,
CheckThat! 2019 (all documents), 2020 tweets (training and dev), 2024 dev, LIAR (train, valid) and Factcheck-Bench's
sentences.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import train_checkworthiness as data

from app.checkworthiness import read_labelled_tsv
from app.references import table_row, teaser

csv.field_size_limit(sys.maxsize)


def liar(split: str) -> Iterator[tuple[str, bool | None]]:
    """LIAR statements (no check-worthiness label: all were fact-checked by PolitiFact, so all count as claims)."""
    with open(data.EVAL_DIR / "liar" / f"{split}.tsv", newline="", encoding="utf-8") as f:
        for row in csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            if len(row) > 2:
                yield row[2], True


def factcheck_bench() -> Iterator[tuple[str, bool | None]]:
    """Factcheck-Bench's sentences of ChatGPT answers (a sentence with at least one annotated claim is check-worthy)."""
    path = data.EVAL_DIR / "factcheck_gpt" / "factcheck-GPT-benchmark.jsonl"
    for line in path.read_text(encoding="utf-8").splitlines():
        for sentence in json.loads(line)["sentences"].values():
            yield sentence["text"], bool(sentence.get("claims"))


def labelled(texts: list[str], labels: object) -> Iterator[tuple[str, bool | None]]:
    yield from zip(texts, (bool(y) for y in labels), strict=True)  # type: ignore[call-overload]


def main() -> None:
    """Count each rule's matches per data set and print the table, then every match."""
    buster = {name: data.load_claimbuster(name)[:2] for name in ("crowdsourced", "groundtruth")}
    tweets = [data.load_checkthat2020(split) for split in ("training_v2", "dev_v2")]
    sets: dict[str, Iterator[tuple[str, bool | None]]] = {
        "ClaimBuster crowdsourced (debates 1960-2016)": labelled(*buster["crowdsourced"]),
        "ClaimBuster groundtruth": labelled(*buster["groundtruth"]),
        "CheckThat! 2019 (debates, speeches 2016-2019)": labelled(
            *data.load_checkthat2019(("2016", "2017", "2018", "2019"))
        ),
        "CheckThat! 2020 COVID tweets (training + dev)": (
            x for texts, labels in tweets for x in labelled(texts, labels)
        ),
        "CheckThat! 2024 dev": labelled(
            *read_labelled_tsv(data.EVAL_DIR / "checkthat2024_task1_en" / "CT24_checkworthy_english_dev.tsv")
        ),
        "LIAR statements (train + valid)": (x for split in ("train", "valid") for x in liar(split)),
        "Factcheck-Bench sentences": factcheck_bench(),
    }
    rules = {"table_row": table_row, "teaser": teaser}
    print("| data set | texts | " + " | ".join(f"matched by {name} (check-worthy)" for name in rules) + " |")
    print("|---|---|" + "---|" * len(rules))
    found: list[tuple[str, str, str, bool | None]] = []
    for name, rows in sets.items():
        n = 0
        matched = dict.fromkeys(rules, 0)
        positive = dict.fromkeys(rules, 0)
        for text, label in rows:
            n += 1
            for rule, applies in rules.items():
                if applies(text):
                    matched[rule] += 1
                    positive[rule] += bool(label)
                    found.append((rule, name, text, label))
        cells = " | ".join(f"{matched[r]} ({positive[r]})" for r in rules)
        print(f"| {name} | {n:,} | {cells} |")
    for rule, name, text, label in found:
        print(f"\n{rule}, {name} ({'check-worthy' if label else 'not check-worthy'}): {text[:200]!r}")


if __name__ == "__main__":
    main()

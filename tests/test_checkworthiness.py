"""Check-worthiness scorer: committed weights, scores, offsets, and `claimdesk eval checkworthiness`."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from app.checkworthiness import ADAPTER_PATH, WEIGHTS_PATH, CheckworthinessScorer, evaluate, read_labelled_tsv
from app.cli import app
from app.errors import ConfigurationError, IngestError

SEED = Path(__file__).resolve().parent.parent / "seeds" / "china-russia-sanctions.txt"

TINY_TSV = (
    "Sentence_id\tText\tclass_label\n"
    "1\tUnemployment fell from 10 percent to 4.7 percent between 2010 and 2016.\tYes\n"
    "2\tThank you very much.\tNo\n"
    "3\tThe deficit reached $1.4 trillion in 2009, the highest since World War II.\tYes\n"
    "4\tI think that's a great question.\tNo\n"
    "5\tGood evening, everyone.\tNo\n"
)


@pytest.fixture(scope="module")
def scorer() -> CheckworthinessScorer:
    """One loaded scorer for the module (loading the embedder is the slow part)."""
    return CheckworthinessScorer.load()


def test_weights_file_is_small_json_naming_its_training_data() -> None:
    raw = json.loads(WEIGHTS_PATH.read_text(encoding="utf-8"))
    assert WEIGHTS_PATH.stat().st_size < 2_500_000
    assert raw["trained_on"] == ["claimbuster/crowdsourced.csv"]
    assert raw["threshold_chosen_on"] == "claimbuster/groundtruth.csv"
    assert 0.0 < raw["threshold"] < 1.0
    assert len(raw["vocabulary"]) == len(raw["idf"]) == len(raw["tfidf_coef"])


def test_fine_tuned_adapter_is_small_and_the_one_the_threshold_was_chosen_for() -> None:
    adapter = json.loads(WEIGHTS_PATH.read_text(encoding="utf-8"))["adapter"]
    assert adapter["file"] == ADAPTER_PATH.name and adapter["mix"] == 1.0
    assert adapter["trained_on"] == ["claimbuster/crowdsourced.csv"]
    assert hashlib.sha256(ADAPTER_PATH.read_bytes()).hexdigest() == adapter["sha256"]
    assert ADAPTER_PATH.stat().st_size < 1_000_000


def test_adapter_missing_or_not_matching_its_weights_says_how_to_rebuild(tmp_path: Path) -> None:
    weights = tmp_path / "checkworthiness.json"
    shutil.copy(WEIGHTS_PATH, weights)
    with pytest.raises(ConfigurationError, match=r"adapter not found.*train_checkworthiness_adapter"):
        CheckworthinessScorer.load(path=weights)
    with np.load(ADAPTER_PATH) as data:
        arrays = {k: data[k] for k in data.files}
    arrays["head.bias"] = arrays["head.bias"] + 1.0  # a retrained adapter the threshold was not chosen for
    np.savez_compressed(tmp_path / ADAPTER_PATH.name, **arrays)
    with pytest.raises(ConfigurationError, match="not the one its weights were trained with"):
        CheckworthinessScorer.load(path=weights)
    (tmp_path / ADAPTER_PATH.name).write_bytes(b"not an npz")
    raw = json.loads(weights.read_text(encoding="utf-8"))
    raw["adapter"]["sha256"] = hashlib.sha256(b"not an npz").hexdigest()
    weights.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(ConfigurationError, match="unreadable"):
        CheckworthinessScorer.load(path=weights)


def test_regression_alone_still_scores_when_the_weights_say_so(tmp_path: Path) -> None:
    raw = json.loads(WEIGHTS_PATH.read_text(encoding="utf-8"))
    raw["adapter"] = None
    weights = tmp_path / "checkworthiness.json"
    weights.write_text(json.dumps(raw), encoding="utf-8")
    regression = CheckworthinessScorer.load(path=weights)
    statistic = "Unemployment fell from 10 percent to 4.7 percent between 2010 and 2016."
    high, low = regression.score_texts([statistic, "Thank you very much."])
    assert high > 0.5 > low


def test_scores_are_probabilities_and_a_statistic_outranks_thanks(scorer: CheckworthinessScorer) -> None:
    statistic = "Unemployment fell from 10 percent to 4.7 percent between 2010 and 2016."
    scores = scorer.score_texts([statistic, "Thank you very much.", "Good evening, everyone."])
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert scores[0] > scores[1] and scores[0] > scores[2]
    assert scores[0] >= scorer.threshold > scores[1]


def test_score_article_offsets_point_into_the_text(scorer: CheckworthinessScorer) -> None:
    # Every sentence of the seed news story states a fact; two closing pleasantries do not.
    text = SEED.read_text(encoding="utf-8") + "\nThank you all for coming. Good evening, everyone.\n"
    scored = scorer.score_article(text)
    assert len(scored) > 10
    for s in scored:
        assert text[s.start : s.end] == s.text
        assert 0.0 <= s.score <= 1.0
    assert [s.start for s in scored] == sorted(s.start for s in scored)
    assert any(s.score >= scorer.threshold for s in scored)
    assert any(s.score < scorer.threshold for s in scored)


def test_headline_is_its_own_sentence(scorer: CheckworthinessScorer) -> None:
    text = "Exports Surge Despite Sanctions\n\nChina's exports to Russia rose 64 percent in 2022. Analysts disagree."
    scored = scorer.score_article(text)
    assert [s.text for s in scored] == [
        "Exports Surge Despite Sanctions",
        "China's exports to Russia rose 64 percent in 2022.",
        "Analysts disagree.",
    ]
    assert scored[1].start == text.index("China")


def test_empty_text_gives_no_sentences(scorer: CheckworthinessScorer) -> None:
    assert scorer.score_article("") == []
    assert scorer.score_article("  \n\n ") == []
    assert scorer.score_texts([]) == []


def test_scores_are_deterministic(scorer: CheckworthinessScorer) -> None:
    text = SEED.read_text(encoding="utf-8")
    again = CheckworthinessScorer.load()
    assert scorer.score_article(text) == again.score_article(text)
    assert scorer.score_texts(["Prices rose 5% last year."]) == scorer.score_texts(["Prices rose 5% last year."])


def test_threshold_override_and_validation() -> None:
    assert CheckworthinessScorer.load(threshold=0.9).threshold == 0.9
    with pytest.raises(ConfigurationError, match="between 0 and 1"):
        CheckworthinessScorer.load(threshold=1.5)


def test_unreadable_or_mismatched_weights_say_how_to_rebuild(tmp_path: Path) -> None:
    bad = tmp_path / "weights.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="train_checkworthiness"):
        CheckworthinessScorer.load(path=bad)
    bad.write_text(json.dumps({"format": 999}), encoding="utf-8")
    with pytest.raises(ConfigurationError, match="do not match"):
        CheckworthinessScorer.load(path=bad)
    with pytest.raises(ConfigurationError, match="not found"):
        CheckworthinessScorer.load(path=tmp_path / "missing.json")


def test_evaluate_counts_the_positive_class() -> None:
    result = evaluate([0.9, 0.8, 0.2, 0.6], [True, False, True, False], threshold=0.5)
    assert (result.n, result.positives, result.predicted) == (4, 2, 3)
    assert result.precision == pytest.approx(1 / 3)
    assert result.recall == pytest.approx(0.5)
    assert result.f1 == pytest.approx(0.4)


def test_cli_prints_metrics_and_ends_with_f1(tmp_path: Path) -> None:
    data = tmp_path / "tiny.tsv"
    data.write_text(TINY_TSV, encoding="utf-8")
    result = CliRunner().invoke(app, ["eval", "checkworthiness", "--data", str(data)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert re.fullmatch(r"F1=\d\.\d{4}", lines[-1])
    assert "n          5" in result.stdout and "positives  2" in result.stdout
    assert float(lines[-1][3:]) == 1.0  # two plain statistics vs pleasantries: the model must separate them


def test_cli_threshold_zero_predicts_everything(tmp_path: Path) -> None:
    data = tmp_path / "tiny.tsv"
    data.write_text(TINY_TSV, encoding="utf-8")
    result = CliRunner().invoke(app, ["eval", "checkworthiness", "--data", str(data), "--threshold", "0"])
    assert result.exit_code == 0, result.output
    assert "threshold  0.0000" in result.stdout
    # precision 2/5, recall 1 -> F1 = 2 * 0.4 / 1.4
    assert result.stdout.strip().splitlines()[-1] == "F1=0.5714"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("Sentence_id\tText\n1\tHello.\n", "class_label"),
        ("Sentence_id\tText\tclass_label\n1\tHello.\tMaybe\n", "Yes or No"),
        ("Sentence_id,Text,class_label\n1,Hello.,Yes\n", "lacks the column"),
        ("Sentence_id\tText\tclass_label\n", "no labelled rows"),
    ],
)
def test_cli_rejects_malformed_tsv(tmp_path: Path, content: str, message: str) -> None:
    data = tmp_path / "bad.tsv"
    data.write_text(content, encoding="utf-8")
    result = CliRunner().invoke(app, ["eval", "checkworthiness", "--data", str(data)])
    assert result.exit_code == 1
    assert isinstance(result.exception, IngestError) and message in str(result.exception)


def test_cli_missing_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["eval", "checkworthiness", "--data", str(tmp_path / "nope.tsv")])
    assert result.exit_code == 1
    assert isinstance(result.exception, IngestError) and "No such file" in str(result.exception)


def test_reader_unescapes_csv_quoting_but_keeps_stray_quotes(tmp_path: Path) -> None:
    data = tmp_path / "q.tsv"
    data.write_text(
        "Sentence_id\tText\tclass_label\n"
        '7\t"You know, I saw a movie - ""Crocodile Dundee."""\tno\n'
        '8\t"We will win," he said.\tYES\n'
        '9\tHe called it "a disaster\tNo\n',
        encoding="utf-8",
    )
    texts, labels = read_labelled_tsv(data)
    assert texts == [
        'You know, I saw a movie - "Crocodile Dundee."',
        '"We will win," he said.',
        'He called it "a disaster',
    ]
    assert labels == [False, True, False]

"""Does the embedded LLM help the check-worthiness scorer as a second opinion? (temporal split of ClaimBuster)

Run:  .venv/bin/python bench/checkworthiness_llm.py [--data-dir .claimdesk] [--tune 400] [--test 800]

The issue suggests "the LLM as a second opinion on borderline sentences" for unseen newer debates. Newer labelled
debates are not available here, so this uses time instead: the scorer is trained (same config as the shipped one)
on ClaimBuster's crowdsourced debates before 2012, the mix weight and every threshold are chosen on a sample of
the 2012 debates, and everything is measured on a sample of the 2016 debates (crowd labels, Verdict == 1).
The embedded model (Qwen2.5-Coder-1.5B, llama.cpp) answers yes/no for each sentence; its P(yes) comes from the
first token's log-probabilities. The mix is (1 - w) * logit(scorer) + w * logit(llm).
Answers are cached in $TMPDIR/claimdesk-cw-llm-cache.json (keyed by prompt and sentence), so reruns are quick;
a cold run makes (tune + test) calls at about 0.4 s each on 2 cores.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import train_checkworthiness as T  # noqa: E402

from app.config import Settings  # noqa: E402
from app.local_model import get_runtime, resolve_model_path  # noqa: E402

CACHE = Path(tempfile.gettempdir()) / "claimdesk-cw-llm-cache.json"
PROMPTS = {
    "short": (
        "Does the sentence state a specific fact that could be checked against records or data (a number, a "
        "vote, an event, a law, a comparison)? Opinions, promises, questions, greetings and vague talk are not. "
        "Answer yes or no."
    ),
    "few-shot": (
        "You label sentences from political debates for fact-checkers.\n"
        "A sentence is CHECK-WORTHY when it states a factual claim that the public would want verified: numbers,\n"
        "statistics, records of what someone did or voted for, events, laws and their effects, comparisons, "
        "causes.\nIt is NOT check-worthy when it is an opinion, a promise, a question, a greeting, a vague "
        "statement,\na personal feeling or a fact too trivial to matter.\nExamples:\n"
        '"Unemployment has doubled in the last four years." -> yes\n'
        '"I voted against that bill three times." -> yes\n'
        '"Thank you very much." -> no\n'
        '"I think we need a stronger America." -> no\n'
        '"We will cut taxes for the middle class." -> no\n'
        '"The deficit is now over a trillion dollars." -> yes\n'
        "Answer with one word: yes or no."
    ),
}


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-4, 1 - 1e-4)
    return np.log(p / (1 - p))


def _auc(y: np.ndarray, s: np.ndarray) -> float:
    """ROC AUC by ranks (ties averaged)."""
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s))
    ranks[order] = np.arange(1, len(s) + 1)
    for value in np.unique(s):
        tie = s == value
        ranks[tie] = ranks[tie].mean()
    pos = y == 1
    n_pos, n_neg = int(pos.sum()), int((~pos).sum())
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


class YesNo:
    """P(yes) for one sentence under one system prompt, from the embedded model's first-token log-probabilities."""

    def __init__(self, runtime: Any, prompt: str) -> None:
        self.runtime = runtime
        self.prompt = prompt
        self.cache: dict[str, float] = json.loads(CACHE.read_text()) if CACHE.exists() else {}
        self.calls = 0
        self.seconds = 0.0

    def __call__(self, sentence: str) -> float:
        key = hashlib.sha256((self.prompt + "\x1e" + sentence).encode()).hexdigest()[:20]
        if key in self.cache:
            return self.cache[key]
        started = time.perf_counter()
        body = {
            "messages": [{"role": "system", "content": self.prompt}, {"role": "user", "content": sentence}],
            "max_tokens": 1,
            "temperature": 0,
            "logprobs": True,
            "top_logprobs": 10,
            "cache_prompt": True,
        }
        answer = self.runtime.post("/v1/chat/completions", body, timeout=120)  # chat() gives no logprobs
        self.seconds += time.perf_counter() - started
        self.calls += 1
        top = answer["choices"][0]["logprobs"]["content"][0]["top_logprobs"]
        yes = sum(math.exp(t["logprob"]) for t in top if t["token"].strip().lower() == "yes")
        no = sum(math.exp(t["logprob"]) for t in top if t["token"].strip().lower() == "no")
        self.cache[key] = value = yes / (yes + no) if yes + no else 0.5
        return value

    def save(self) -> None:
        CACHE.write_text(json.dumps(self.cache))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=ROOT / ".claimdesk")
    parser.add_argument("--tune", type=int, default=400, help="2012 sentences for the weight and thresholds")
    parser.add_argument("--test", type=int, default=800, help="2016 sentences measured")
    parser.add_argument("--prompts", nargs="*", default=list(PROMPTS), choices=list(PROMPTS))
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args()

    texts, y, files = T.load_claimbuster("crowdsourced")
    emb = T.embed(texts)
    rng = random.Random(7)
    old = [i for i, f in enumerate(files) if f[:4] < "2012"]
    tune = rng.sample([i for i, f in enumerate(files) if f[:4] == "2012"], args.tune)
    test = rng.sample([i for i, f in enumerate(files) if f[:4] == "2016"], args.test)
    model = T.Model(T.CONFIG).fit([texts[i] for i in old], y[old], emb[old])
    p_tune = model.predict([texts[i] for i in tune], emb[tune])
    p_test = model.predict([texts[i] for i in test], emb[test])
    y_tune, y_test = y[tune], y[test]

    path = resolve_model_path(Settings(data_dir=args.data_dir))
    runtime = get_runtime(path, threads=args.threads)

    print(f"scorer trained on {len(old)} sentences before 2012; tune {args.tune} (2012), test {args.test} (2016)")
    print(f"positives: tune {int(y_tune.sum())}, test {int(y_test.sum())}\n")
    print("| scores | test AUC | test P | test R | test F1 (threshold from 2012) | test F1 at its best threshold |")
    print("|---|---|---|---|---|---|")

    def row(name: str, s_tune: np.ndarray, s_test: np.ndarray) -> None:
        _, threshold = T.best_threshold(y_tune, s_tune)
        precision, recall, f1 = T.prf(y_test, s_test, threshold)
        best = T.best_threshold(y_test, s_test)[0]
        print(
            f"| {name} | {_auc(y_test, s_test):.3f} | {precision:.3f} | {recall:.3f} | {f1:.3f} | {best:.3f} |",
            flush=True,
        )

    row("scorer alone", p_tune, p_test)
    for name in args.prompts:
        ask = YesNo(runtime, PROMPTS[name])
        try:
            l_tune = np.array([ask(texts[i]) for i in tune])
            l_test = np.array([ask(texts[i]) for i in test])
        finally:
            ask.save()
        if ask.calls:
            print(f"  ({name}: {ask.calls} model calls, {ask.seconds / ask.calls:.2f} s each)", file=sys.stderr)
        row(f"LLM alone, prompt '{name}'", l_tune, l_test)
        # The weight is chosen on the 2012 sample too (best F1 there), then measured on 2016.
        mixes = {w: ((1 - w) * _logit(p_tune) + w * _logit(l_tune)) for w in (0.1, 0.2, 0.3, 0.4, 0.5)}
        w = max(mixes, key=lambda k: T.best_threshold(y_tune, mixes[k])[0])
        row(
            f"scorer + LLM '{name}', w={w} (chosen on 2012)",
            mixes[w],
            (1 - w) * _logit(p_test) + w * _logit(l_test),
        )


if __name__ == "__main__":
    main()

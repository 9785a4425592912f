"""How long the Review page takes to render: 50 claims, 20 evidence passages for the current claim; and, with
`--queue N`, a reviewer's session of Save & next over a queue of N claims (time per save and the claims kept alive),
or with `--queue N --first-open` the first visit of the Review page after a server start over N claims.

Seeds a real review store directly (no corpus, no model) and stubs evidence search with precomputed passages,
so the number is the page's own cost: queue, form, highlighted context and 20 escaped evidence cards.

    .venv/bin/python bench/review_page.py [--runs 7] [--queue 18000 --saves 10] [--queue 18750 --first-open]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
N_CLAIMS = 50
N_EVIDENCE = 20
TARGET_S = 1.0


def build(data_dir: Path, extra_claims: int = 0):
    """A Workbench over a fresh store with one article of 50 claims (and `extra_claims` more in articles of 50
    claims each) and canned evidence."""
    os.environ["CLAIMDESK_DATA_DIR"] = str(data_dir)
    from app.config import get_settings
    from app.models import Article, Claim, Evidence, Provenance, claim_id_for
    from app.store import ReviewStore
    from app.workbench import Workbench
    from retrieval.models import content_id

    get_settings.cache_clear()
    settings = get_settings()
    sentences = [
        f"In {2000 + i} the ministry said exports of item {i} rose {i * 3}% to {i * 7} million tonnes."
        for i in range(N_CLAIMS)
    ]
    paragraphs = [" ".join(sentences[i : i + 5]) for i in range(0, N_CLAIMS, 5)]
    text = "Benchmark article\n\n" + "\n\n".join(paragraphs)
    article = Article(
        id=content_id(text), title="Benchmark article", source="bench.txt", text=text, ingested_at=datetime.now(UTC)
    )
    store = ReviewStore.open(settings)
    store.upsert_article(article)
    provenance = Provenance(extractor="scorer", model="bench")
    claims = []
    for i, sentence in enumerate(sentences):
        start = text.index(sentence)
        end = start + len(sentence)
        claims.append(
            Claim(
                id=claim_id_for(article.id, start, end),
                article_id=article.id,
                quote=sentence,
                start=start,
                end=end,
                statement=sentence,
                checkworthiness=round(0.99 - i / 100, 2),
                provenance=provenance,
            )
        )
    store.save_claims(article.id, claims)
    for a in range(extra_claims // N_CLAIMS):
        more = f"Article {a}\n\n" + " ".join(f"Item {a}-{i} rose {i + 1}% to {a + i} million." for i in range(N_CLAIMS))
        other = Article(
            id=content_id(more), title=f"Article {a}", source=f"a{a}.txt", text=more, ingested_at=datetime.now(UTC)
        )
        store.upsert_article(other)
        spans = [(m.start(), m.end()) for m in re.finditer(r"Item [^.]*\.", more)]
        store.save_claims(
            other.id,
            [
                Claim(
                    id=claim_id_for(other.id, start, end),
                    article_id=other.id,
                    quote=more[start:end],
                    start=start,
                    end=end,
                    statement=more[start:end],
                    checkworthiness=round(0.5 + (i % 40) / 100, 2),
                    provenance=provenance,
                )
                for i, (start, end) in enumerate(spans)
            ],
        )

    def passages(prefix: str, n: int) -> list[Evidence]:
        return [
            Evidence(
                chunk_id=f"{prefix}{j}",
                article_id=article.id if prefix == "in" else f"other{j}",
                title=f"Source {j} <b>title</b>",
                source=f"https://example.org/{prefix}/{j}",
                text=" ".join(sentences[j : j + 4]) + " [link](javascript:alert(1)) <i>x</i>",
                start=0,
                end=10,
                score=1 / (60 + j),
                bm25_score=3.2,
                dense_score=0.61,
                rank=j,
            )
            for j in range(n)
        ]

    inside, elsewhere = passages("in", N_EVIDENCE // 2), passages("else", N_EVIDENCE - N_EVIDENCE // 2)

    class CannedEvidence(Workbench):
        def evidence_for(self, claim, query=None, k=6):
            return inside, elsewhere

    return CannedEvidence(settings, store=store), claims


def render(wb, *, clicks: int) -> tuple[float, float, list[float]]:
    """Seconds for: a fresh AppTest's first run, opening Review in that session, then `clicks` Next reruns.

    A fresh AppTest's first run includes the harness scanning installed packages for components (a one-off
    per server in real use), so the page's own cost is measured by opening Review in an already started session.
    """
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app" / "ui" / "main.py"), default_timeout=60)
    at.session_state["_workbench_override"] = wb
    at.switch_page("app_pages/dashboard.py")
    t0 = time.perf_counter()
    at.run()
    harness_first = time.perf_counter() - t0
    at.switch_page("app_pages/review.py")
    t0 = time.perf_counter()
    at.run()
    open_review = time.perf_counter() - t0
    assert not at.exception, at.exception
    cards = [m for m in at.markdown if "cd-evidence" in m.value]
    assert len(cards) == N_EVIDENCE, len(cards)
    reruns = []
    for _ in range(clicks):
        t0 = time.perf_counter()
        next(b for b in at.button if b.label.startswith("Next\n")).click().run()
        reruns.append(time.perf_counter() - t0)
        assert not at.exception, at.exception
    return harness_first, open_review, reruns


def save_session(wb, saves: int) -> list[tuple[float, int, float]]:
    """One reviewer's session: choose a verdict and Save & next, `saves` times; per save (seconds, live Claim
    objects after a full garbage collection, process RSS in MB)."""
    import gc
    import resource

    from streamlit.testing.v1 import AppTest

    from app.models import Claim

    at = AppTest.from_file(str(ROOT / "app" / "ui" / "main.py"), default_timeout=300)
    at.session_state["_workbench_override"] = wb
    at.switch_page("app_pages/review.py")
    at.run()
    at.text_input(key="reviewer").input("Bench").run()
    rows = []
    for _ in range(saves):
        t0 = time.perf_counter()
        next(r for r in at.radio if r.label == "Verdict").set_value("True").run()
        next(b for b in at.button if b.label == "Save & next").click().run()
        took = time.perf_counter() - t0
        assert not at.exception, at.exception
        gc.collect()
        live = sum(1 for o in gc.get_objects() if type(o) is Claim)
        rows.append((took, live, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))
    return rows


def first_open(wb, runs: int) -> list[tuple[float, float, float]]:
    """Per run, seconds for: the Review page's first run in a Workbench that has kept no queue yet (as after a
    server start), a rerun, and a Next click."""
    from streamlit.testing.v1 import AppTest

    rows = []
    for _ in range(runs):
        fresh = type(wb)(wb.settings, store=wb.store)
        at = AppTest.from_file(str(ROOT / "app" / "ui" / "main.py"), default_timeout=300)
        at.session_state["_workbench_override"] = fresh
        at.switch_page("app_pages/dashboard.py")
        at.run()
        at.switch_page("app_pages/review.py")
        times = []
        for step in ("open", "rerun", "next"):
            if step == "next":
                next(b for b in at.button if b.label.startswith("Next\n")).click()
            t0 = time.perf_counter()
            at.run()
            times.append(time.perf_counter() - t0)
            assert not at.exception, at.exception
        rows.append((times[0], times[1], times[2]))
    return rows


def search_times(data_dir: Path, n_articles: int, repeats: int) -> list[float]:
    """Seconds per uncached evidence lookup (two hybrid searches) over the seed plus SciFact abstracts."""
    import json

    os.environ["CLAIMDESK_DATA_DIR"] = str(data_dir)
    from app.config import get_settings
    from app.workbench import Workbench

    get_settings.cache_clear()
    wb = Workbench(get_settings())
    seed = wb.ingest_paths([str(ROOT / "seeds" / "china-russia-sanctions.txt")]).outcomes[0]
    corpus = ROOT.parent / "shared" / "eval" / "scifact" / "beir" / "corpus.jsonl"  # read-only, never copied
    with corpus.open(encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            if i >= n_articles:
                break
            row = json.loads(line)
            wb.ingest_upload(f"scifact-{row['_id']}.txt", f"{row['title']}\n\n{row['text']}".encode())
    from app.models import Claim, Provenance, claim_id_for

    article = wb.get_article(seed.article_id or "")
    assert article is not None
    quote = "Russia expelled 10 US diplomats in response and said it would answer every new US sanction."
    start = article.text.index(quote)
    claim = Claim(
        id=claim_id_for(article.id, start, start + len(quote)),
        article_id=article.id,
        quote=quote,
        start=start,
        end=start + len(quote),
        statement=quote,
        checkworthiness=0.9,
        provenance=Provenance(extractor="scorer", model="bench"),
    )
    wb.evidence_for(claim)  # load the embedder and BM25 index once
    times = []
    for i in range(repeats):
        t0 = time.perf_counter()
        wb.evidence_for(claim, f"{quote} {i}")
        times.append(time.perf_counter() - t0)
    return times


def main() -> None:
    """Print a table of medians against the 1 s target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--articles", type=int, default=100, help="SciFact abstracts ingested for the search row")
    parser.add_argument("--queue", type=int, default=0, help="claims in the store for a Save & next session instead")
    parser.add_argument("--saves", type=int, default=10, help="saves in the --queue session")
    parser.add_argument("--first-open", action="store_true", help="with --queue: the Review page's first visit")
    args = parser.parse_args()
    os.environ.setdefault("STREAMLIT_LOGGER_LEVEL", "error")  # AppTest's bare-mode warnings are noise here
    sys.path.insert(0, str(ROOT))
    if args.queue and args.first_open:
        with tempfile.TemporaryDirectory() as tmp:
            wb, _ = build(Path(tmp), extra_claims=args.queue - N_CLAIMS)
            first_open(wb, 1)  # warm imports; not counted
            rows = first_open(wb, args.runs)
        print(f"Review page over a queue of {len(wb.queue())} claims, a Workbench with no queue kept (a server start)")
        print(f"{'case':<22} {'n':>3} {'median s':>9} {'min s':>7} {'max s':>7}")
        for i, name in enumerate(("first open", "rerun", "next claim")):
            values = [row[i] for row in rows]
            print(
                f"{name:<22} {len(values):>3} {statistics.median(values):>9.3f} {min(values):>7.3f} {max(values):>7.3f}"
            )
        return
    if args.queue:
        with tempfile.TemporaryDirectory() as tmp:
            wb, _ = build(Path(tmp), extra_claims=args.queue - N_CLAIMS)
            rows = save_session(wb, args.saves)
        print(f"Save & next over a queue of {len(wb.queue())} claims (one session, saves in order)")
        print(f"{'save':>4} {'seconds':>8} {'live Claim objects':>19} {'max RSS MB':>11}")
        for n, (took, live, rss) in enumerate(rows, 1):
            print(f"{n:>4} {took:>8.2f} {live:>19} {rss:>11.0f}")
        print(f"median seconds per save: {statistics.median(r[0] for r in rows):.2f}")
        return
    with tempfile.TemporaryDirectory() as tmp:
        wb, _ = build(Path(tmp))
        render(wb, clicks=1)  # warm imports and caches once; not counted
        harness, opens, reruns = [], [], []
        for _ in range(args.runs):
            first, opened, clicks = render(wb, clicks=3)
            harness.append(first)
            opens.append(opened)
            reruns.extend(clicks)
        search = search_times(Path(tmp) / "search", args.articles, args.runs * 3)
    rows = [
        ("open Review page (new visit)", opens),
        ("next claim (rerun)", reruns),
        ("AppTest first run, Dashboard*", harness),
        (f"evidence search, {args.articles + 1} articles**", search),
    ]
    print(f"Review page, {N_CLAIMS} claims in queue, {N_EVIDENCE} evidence passages; target <= {TARGET_S:.1f} s")
    print(f"{'case':<30} {'n':>3} {'median s':>9} {'min s':>7} {'max s':>7} {'median/target':>14}")
    for name, values in rows:
        med = statistics.median(values)
        print(
            f"{name:<30} {len(values):>3} {med:>9.3f} {min(values):>7.3f} {max(values):>7.3f} {med / TARGET_S:>14.2f}"
        )


if __name__ == "__main__":
    main()

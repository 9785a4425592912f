"""Fine-tune MiniLM for check-worthiness with low-rank adapters; write app/data/checkworthiness_adapter.npz.

Run:  .venv/bin/python bench/train_checkworthiness_adapter.py              (all of crowdsourced.csv; ~20 min)
      .venv/bin/python bench/train_checkworthiness_adapter.py --before 2016 (temporal check: prints a table)

Data used (read-only, from ../shared/eval or CLAIMDESK_EVAL_DIR): claimbuster/crowdsourced.csv, label Verdict == 1
(the same sentences and labels as bench/train_checkworthiness.py). With --before YEAR the adapter is trained on the
debates before YEAR only and measured on YEAR's debates and on the CheckThat! 2020 tweets, beside the logistic
regression trained on the same sentences, and nothing is written.

The base is the packaged int8 MiniLM dequantized (exactly what retrieval.minilm_graph builds its fp32 graph from) and
the tokenizer is the product's tokenizer.json, so the product runs the model trained here. LoRA (rank 8, alpha 16)
on every linear layer of the 6 encoder layers plus a linear head on the mean-pooled unit vector x 20; only the
adapters (~330k values, stored as float16) and the head are saved. Needs torch and transformers (the `bench`
extra: `pip install -e '.[bench]'`); the product itself runs the result with onnxruntime and numpy.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import train_checkworthiness as T  # noqa: E402

from app.checkworthiness import ADAPTER_PATH  # noqa: E402
from retrieval.embeddings import _tokenizer  # noqa: E402
from retrieval.minilm_graph import fp32, model_paths, packaged_weights  # noqa: E402

RANK = 8
ALPHA = 16.0
SCALE = 20.0  # the head sees the unit vector times this, so its weights need not be large
MAX_LENGTH = 64  # debate sentences: 99% are shorter; the product truncates the same way
ADAPTED = ("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense")
ADAPTED += ("intermediate.dense", "output.dense")


def build_model(rank: int):  # type: ignore[no-untyped-def]
    """(BertModel with the packaged weights and zero-initialised LoRA wrappers, head, adapter modules by key)."""
    import torch
    from transformers import BertConfig, BertModel

    config = BertConfig(
        vocab_size=30522,
        hidden_size=384,
        num_hidden_layers=6,
        num_attention_heads=12,
        intermediate_size=1536,
        max_position_embeddings=512,
        type_vocab_size=2,
        hidden_act="gelu",
        layer_norm_eps=1e-12,
    )
    encoder = BertModel(config, add_pooling_layer=False)
    state = {}
    for key, value in packaged_weights(model_paths()[0]).items():
        if key.endswith("position_ids"):
            continue
        array = fp32(value)
        if array.ndim == 2 and not key.startswith("embeddings."):
            array = array.T  # the graph stores linear weights as [in, out], torch as [out, in]
        state[key] = torch.tensor(np.ascontiguousarray(array))
    result = encoder.load_state_dict(state, strict=False)
    if result.unexpected_keys or [k for k in result.missing_keys if "position_ids" not in k]:
        raise SystemExit(f"packaged weights do not fit BertModel: {result}")

    class LoRA(torch.nn.Module):
        def __init__(self, base: torch.nn.Linear) -> None:
            super().__init__()
            self.base = base
            self.A = torch.nn.Parameter(torch.randn(rank, base.in_features) / math.sqrt(base.in_features))
            self.B = torch.nn.Parameter(torch.zeros(base.out_features, rank))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.base(x) + (x @ self.A.T @ self.B.T) * (ALPHA / rank)

    for p in encoder.parameters():
        p.requires_grad = False
    adapters = {}
    for i, layer in enumerate(encoder.encoder.layer):
        for path in ADAPTED:
            *parents, leaf = path.split(".")
            owner = layer
            for name in parents:
                owner = getattr(owner, name)
            module = LoRA(getattr(owner, leaf))
            setattr(owner, leaf, module)
            adapters[f"encoder.layer.{i}.{path}.weight"] = module
    return encoder, torch.nn.Linear(384, 1), adapters


def pooled(encoder, rows: list[list[int]]):  # type: ignore[no-untyped-def]
    """Mean-pooled unit vectors of token-id rows, right-padded, token types 0 (as the product's graph runs them)."""
    import torch

    width = max(len(r) for r in rows)
    x = torch.zeros((len(rows), width), dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for k, r in enumerate(rows):
        x[k, : len(r)] = torch.tensor(r)
        mask[k, : len(r)] = 1
    hidden = encoder(input_ids=x, attention_mask=mask, token_type_ids=torch.zeros_like(x)).last_hidden_state
    m = mask.unsqueeze(-1).float()
    return torch.nn.functional.normalize((hidden * m).sum(1) / m.sum(1), dim=-1)


def warmup_linear(opt, steps: int):  # type: ignore[no-untyped-def]
    """Learning rate rising over the first 6% of `steps`, then falling linearly to 0."""
    import torch

    return torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, s / max(1.0, 0.06 * steps)) * max(0.0, (steps - s) / steps)
    )


def take_step(loss, params, opt, sched) -> None:  # type: ignore[no-untyped-def]
    """Backpropagate `loss`, clip the adapters' gradients to norm 1 and advance optimiser and schedule."""
    import torch

    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, 1.0)
    opt.step()
    sched.step()
    opt.zero_grad()


def log_progress(step: int, steps: int, loss: float, started: float, every: int) -> None:
    """Every `every` steps, print the step, its loss and the seconds since `started` to stderr."""
    if step % every == 0:
        print(f"  step {step}/{steps} loss {loss:.3f} {time.perf_counter() - started:.0f}s", file=sys.stderr)


def train(texts: list[str], y: np.ndarray, epochs: float, lr: float, seed: int = 0):  # type: ignore[no-untyped-def]
    """Fit adapters and head on (texts, y); returns a predict(texts) -> probabilities function and the weights."""
    import torch

    torch.manual_seed(seed)
    random.seed(seed)
    rng = np.random.default_rng(seed)
    tokenizer = _tokenizer(MAX_LENGTH)  # the product's tokenizer, truncating where the product does
    encoder, head, adapters = build_model(RANK)
    ids = [e.ids for e in tokenizer.encode_batch(texts)]

    def forward(rows: list[list[int]]) -> torch.Tensor:
        return head(pooled(encoder, rows) * SCALE).squeeze(-1)

    params = [p for m in adapters.values() for p in (m.A, m.B)]
    opt = torch.optim.AdamW(
        [{"params": params, "lr": lr}, {"params": head.parameters(), "lr": 1e-3}], weight_decay=0.01
    )
    batch = 32
    steps = int(len(texts) / batch * epochs)
    sched = warmup_linear(opt, steps)
    labels = torch.tensor(y, dtype=torch.float32)
    encoder.train()
    step, started = 0, time.perf_counter()
    while step < steps:
        order = rng.permutation(len(texts))
        for lo in range(0, len(order) - batch + 1, batch):
            idx = order[lo : lo + batch]
            loss = torch.nn.functional.binary_cross_entropy_with_logits(forward([ids[i] for i in idx]), labels[idx])
            take_step(loss, params, opt, sched)
            step += 1
            log_progress(step, steps, loss.item(), started, every=100)
            if step >= steps:
                break
    encoder.eval()

    def predict(batch_texts: list[str]) -> np.ndarray:
        rows = [e.ids for e in tokenizer.encode_batch(batch_texts)]
        out = np.zeros(len(rows))
        order = sorted(range(len(rows)), key=lambda i: len(rows[i]))
        with torch.no_grad():
            for lo in range(0, len(order), 128):
                idx = order[lo : lo + 128]
                out[idx] = torch.sigmoid(forward([rows[i] for i in idx])).numpy()
        return out

    return predict, adapter_weights(adapters, head)


def adapter_weights(adapters, head=None) -> dict[str, np.ndarray]:  # type: ignore[no-untyped-def]
    """The trained arrays by name: each adapter's A and B, and the head's weight and bias when there is one."""
    weights = {f"{key}.A": m.A.detach().numpy() for key, m in adapters.items()}
    weights |= {f"{key}.B": m.B.detach().numpy() for key, m in adapters.items()}
    if head is not None:
        weights["head.weight"] = head.weight.detach().numpy().reshape(-1)
        weights["head.bias"] = head.bias.detach().numpy().reshape(-1)
    return weights


def save(weights: dict[str, np.ndarray], out: Path, max_length: int = MAX_LENGTH, scale: float = SCALE) -> None:
    """float16 adapters, float32 head and the constants the run-time needs to rebuild the model."""
    arrays = {k: v.astype(np.float16 if k.endswith((".A", ".B")) else np.float32) for k, v in weights.items()}
    arrays["config"] = np.array([RANK, ALPHA, scale, max_length], dtype=np.float32)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, **arrays)  # type: ignore[arg-type]


def temporal(before: int, epochs: float, lr: float, seeds: int = 1) -> None:
    """Train on debates before `before`, measure on that year's debates beside the shipped logistic regression."""
    from sklearn.metrics import roc_auc_score

    texts, y, files = T.load_claimbuster("crowdsourced")
    years = np.array([int(f[:4]) for f in files])
    train_idx = np.where(years < before)[0]
    test_idx = np.where(years == before)[0]
    tt = [texts[i] for i in test_idx]
    yt = y[test_idx]
    emb = T.embed(texts)
    lr_model = T.Model(T.CONFIG).fit([texts[i] for i in train_idx], y[train_idx], emb[train_idx])
    p_lr = lr_model.predict(tt, emb[test_idx])
    started = time.perf_counter()
    predict, _ = train([texts[i] for i in train_idx], y[train_idx], epochs, lr)
    minutes = (time.perf_counter() - started) / 60
    p_ft = predict(tt)

    def logit(p: np.ndarray) -> np.ndarray:
        p = np.clip(p, 1e-6, 1 - 1e-6)
        return np.log(p / (1 - p))

    tweets, tweet_y = T.load_checkthat2020()
    tweet_y = np.asarray(tweet_y).astype(int)
    lr_tweets, ft_tweets = lr_model.predict(tweets, T.embed(tweets)), predict(tweets)

    def sigmoid(z: np.ndarray) -> np.ndarray:
        return 1 / (1 + np.exp(-z))

    def mix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return sigmoid(0.5 * logit(a) + 0.5 * logit(b))

    rows = [
        ("logistic regression (the earlier scorer)", p_lr, lr_tweets),
        ("fine-tuned MiniLM, LoRA (shipped)", p_ft, ft_tweets),
        ("even mix of the two logits", mix(p_lr, p_ft), mix(lr_tweets, ft_tweets)),
    ]
    if seeds > 1:  # does averaging adapters trained from other seeds generalise better?
        all_test, all_tweets = [logit(p_ft)], [logit(ft_tweets)]
        for seed in range(1, seeds):
            other, _ = train([texts[i] for i in train_idx], y[train_idx], epochs, lr, seed=seed)
            p_s, t_s = other(tt), other(tweets)
            rows.append((f"fine-tuned, seed {seed}", p_s, t_s))
            all_test.append(logit(p_s))
            all_tweets.append(logit(t_s))
        mean = (sigmoid(np.mean(all_test, axis=0)), sigmoid(np.mean(all_tweets, axis=0)))
        rows.append((f"mean logit of {seeds} seeds", *mean))
    print(f"trained on {len(train_idx)} sentences before {before} ({minutes:.0f} min), measured on the")
    print(f"{len(test_idx)} sentences of {before} ({int(yt.sum())} check-worthy) and, for another domain, on the")
    print(f"{len(tweets)} CheckThat! 2020 COVID tweets of dev_v2 ({int(tweet_y.sum())} check-worthy)\n")
    print(f"| scorer | {before}: AUC | F1 at best threshold | F1 @0.2 | F1 @0.35 | F1 @0.5 | tweets: AUC | F1 @0.35 |")
    print("|---|---|---|---|---|---|---|---|")
    for name, p, pt in rows:
        best, at = T.best_threshold(yt, p)
        fixed = " | ".join(f"{T.prf(yt, p, t)[2]:.3f}" for t in (0.2, 0.35, 0.5))
        tw = f"{roc_auc_score(tweet_y, pt):.3f} | {T.prf(tweet_y, pt, 0.35)[2]:.3f}"
        print(f"| {name} | {roc_auc_score(yt, p):.3f} | {best:.3f} (@{at:.2f}) | {fixed} | {tw} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=float, default=2.0)
    parser.add_argument("--lr", type=float, default=5e-4)
    parser.add_argument("--before", type=int, help="temporal check: train before this year, test on it")
    parser.add_argument("--seeds", type=int, default=1, help="with --before: also train seeds 1..N-1 and average")
    parser.add_argument("--out", type=Path, default=ADAPTER_PATH)
    args = parser.parse_args()
    if args.before:
        temporal(args.before, args.epochs, args.lr, args.seeds)
        return
    texts, y, _ = T.load_claimbuster("crowdsourced")
    started = time.perf_counter()
    _, weights = train(texts, y, args.epochs, args.lr)
    save(weights, args.out)
    print(
        f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB) after {(time.perf_counter() - started) / 60:.0f} "
        "min; now run bench/train_checkworthiness.py to choose the threshold of the mixed score"
    )


if __name__ == "__main__":
    main()

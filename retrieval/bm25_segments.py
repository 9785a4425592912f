"""The BM25 index on disk: a compacted base snapshot plus append-only segment files, one per add or removal.

Every file appears in one step (written under a temporary name, then renamed), so a crash leaves either the
old state or the new one. A segment is written only after Chroma accepted the write it records; the caller
still verifies a loaded index against Chroma's ids, because a crash between the two leaves Chroma ahead.
Several processes may append to the same directory: each applies the segments it has not seen yet.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import time
from collections.abc import Collection, Sequence
from pathlib import Path

import numpy as np

from retrieval.bm25 import TOKENIZER_VERSION, BM25Index

_BASE = "base.npz"
_SEGMENTS = "segments"


def _atomic_savez(path: Path, arrays: dict[str, np.ndarray]) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays)  # type: ignore[arg-type]
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size, st.st_ino


class BM25Segments:
    """One index directory: load the base and its segments, append segments, write a new base."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.seg_dir = self.directory / _SEGMENTS
        self.seen: set[str] = set()
        self.base_stamp: tuple[int, int, int] | None = None
        self.written = 0  # segments appended by this process since its last base

    def segment_names(self) -> list[str]:
        """Names of the segment files present, in the order they must be applied."""
        try:
            return sorted(n for n in os.listdir(self.seg_dir) if n.endswith(".npz") and not n.startswith("."))
        except OSError:
            return []

    # ---- reading ----------------------------------------------------------------------------------
    def load(self, text_version: str) -> BM25Index | None:
        """The saved index with every segment applied, or None when absent, unreadable or made differently."""
        path = self.directory / _BASE
        stamp = _stamp(path)
        try:
            with np.load(path, allow_pickle=False) as npz:
                meta = json.loads(str(npz["meta"]))
                if meta.get("tokenizer") != TOKENIZER_VERSION or meta.get("text_version") != text_version:
                    return None  # its terms would not match this tokenizer's query terms, or its texts are stale
                idx = BM25Index.from_arrays({k: npz[k] for k in npz.files if k != "meta"}, text_version=text_version)
        except (OSError, ValueError, KeyError):
            return None
        if stamp != _stamp(path):
            return None  # replaced while we read it: the caller retries or rebuilds
        self.base_stamp = stamp
        self.seen = set(meta.get("covered", []))
        self.written = 0
        if not self.refresh(idx):
            return None
        return idx

    def refresh(self, idx: BM25Index) -> bool:
        """Apply segments not seen yet; False when the base was replaced (reload with `load`)."""
        if _stamp(self.directory / _BASE) != self.base_stamp:
            return False
        for name in self.segment_names():
            if name in self.seen:
                continue
            try:
                with np.load(self.seg_dir / name, allow_pickle=False) as npz:
                    op = str(npz["op"])
                    if op == "add":
                        idx.add(
                            [str(x) for x in npz["ids"]],
                            [str(x) for x in npz["article_ids"]],
                            [str(x) for x in npz["texts"]],
                        )
                    else:
                        idx.remove({str(x) for x in npz["article_ids"]})
            except (OSError, ValueError, KeyError):
                return False  # removed by another process's compaction: its new base has it
            self.seen.add(name)
        return True

    # ---- writing ----------------------------------------------------------------------------------
    def _append(self, arrays: dict[str, np.ndarray]) -> None:
        self.seg_dir.mkdir(parents=True, exist_ok=True)
        name = f"{time.time_ns():020d}-{os.getpid()}-{secrets.token_hex(3)}.npz"
        _atomic_savez(self.seg_dir / name, arrays)
        self.seen.add(name)
        self.written += 1

    def append_add(self, ids: Sequence[str], article_ids: Sequence[str], texts: Sequence[str]) -> None:
        """Record chunks added (already applied to the caller's index)."""
        self._append(
            {
                "op": np.array("add"),
                "ids": np.array(list(ids), dtype=str),
                "article_ids": np.array(list(article_ids), dtype=str),
                "texts": np.array(list(texts), dtype=str),
            }
        )

    def append_remove(self, article_ids: Collection[str]) -> None:
        """Record articles removed (already applied to the caller's index)."""
        self._append({"op": np.array("remove"), "article_ids": np.array(sorted(article_ids), dtype=str)})

    def save_base(self, idx: BM25Index, covered: Collection[str]) -> None:
        """Write `idx` as the new base; the segments in `covered` are already in it and are deleted."""
        self.directory.mkdir(parents=True, exist_ok=True)
        meta = {"tokenizer": idx.tokenizer, "text_version": idx.text_version, "covered": sorted(covered)}
        _atomic_savez(self.directory / _BASE, {"meta": np.array(json.dumps(meta)), **idx.to_arrays()})
        self.base_stamp = _stamp(self.directory / _BASE)
        for name in covered:
            (self.seg_dir / name).unlink(missing_ok=True)
        self.seen = set(covered)
        self.written = 0
        # Files of the earlier bm25s-based format.
        (self.directory / "meta.json").unlink(missing_ok=True)
        shutil.rmtree(self.directory / "bm25s", ignore_errors=True)

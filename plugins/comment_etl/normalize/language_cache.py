"""Language labels cached by (detector, hash of the cleaned text).

Real comment sections repeat themselves ("first!", "lol", copy-pasted spam), and reruns see the
same texts again. A label is computed once per detector and cleaned text:

* inside a parse, a bounded in-memory memo catches repeats within and across batches;
* across runs, the cache table ``staging.language_cache`` is looked up in the BI snapshot — a
  read-only copy that parse tasks may open in parallel without touching the single-writer
  warehouse — and the labels a parse computed are written next to its Parquet output, for the
  loader to add to the warehouse in the run's transaction.
"""

from __future__ import annotations

import hashlib
import logging
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from comment_etl.normalize.language import (
    UNKNOWN,
    Detector,
    Guess,
    clean_for_detection,
    has_letters,
)

log = logging.getLogger(__name__)

MEMO_SIZE = 200_000
CACHE_SCHEMA = pa.schema(
    [
        ("detector", pa.string()),
        ("text_hash", pa.string()),
        ("language", pa.string()),
        ("confidence", pa.float64()),
    ]
)


def text_hash(cleaned: str) -> str:
    return hashlib.blake2b(cleaned.encode("utf-8"), digest_size=16).hexdigest()


class CachedLabeler:
    """Labels texts with `detector`, asking it only for texts no cache has seen."""

    def __init__(self, detector: Detector, snapshot: str | Path | None = None):
        self.detector = detector
        self.memo: OrderedDict[str, Guess] = OrderedDict()
        self.new: dict[str, Guess] = {}
        self.hits = 0
        self.computed = 0
        self._con: duckdb.DuckDBPyConnection | None = None
        if snapshot is not None and Path(snapshot).exists():
            try:
                self._con = duckdb.connect(str(snapshot), read_only=True)
                self._con.execute("select 1 from staging.language_cache limit 0")
            except duckdb.Error:
                self.close()

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None

    def _lookup(self, keys: list[str]) -> dict[str, Guess]:
        if self._con is None or not keys:
            return {}
        table = pa.table({"text_hash": pa.array(keys, pa.string())})
        self._con.register("_keys", table)
        try:
            rows = self._con.execute(
                "select c.text_hash, c.language, c.confidence from staging.language_cache c "
                "join _keys k using (text_hash) where c.detector = ?",
                [self.detector.name],
            ).fetchall()
        finally:
            self._con.unregister("_keys")
        return {key: Guess(language, confidence) for key, language, confidence in rows}

    def _remember(self, key: str, guess: Guess) -> None:
        self.memo[key] = guess
        if len(self.memo) > MEMO_SIZE:
            self.memo.popitem(last=False)

    def label(self, texts: Sequence[str | None]) -> list[Guess]:
        cleaned = [clean_for_detection(text) for text in texts]
        keys: list[str | None] = [text_hash(c) if has_letters(c) else None for c in cleaned]
        missing: dict[str, str] = {}
        for key, text in zip(keys, cleaned, strict=True):
            if key is not None and key not in self.memo and key not in missing:
                missing[key] = text
        if missing:
            for key, guess in self._lookup(list(missing)).items():
                self._remember(key, guess)
                del missing[key]
        if missing:
            guesses = self.detector.detect_batch(list(missing.values()))
            for key, guess in zip(missing, guesses, strict=True):
                self._remember(key, guess)
                self.new[key] = guess
            self.computed += len(missing)
        result = []
        for key in keys:
            if key is None:
                result.append(UNKNOWN)
                continue
            guess = self.memo.get(key) or self.new[key]
            result.append(guess)
        self.hits += len(texts) - len(missing)
        return result

    def write_new(self, path: str | Path) -> int:
        """Write the labels computed in this parse (for the loader to add to the cache)."""
        keys = list(self.new)
        table = pa.table(
            {
                "detector": pa.array([self.detector.name] * len(keys), pa.string()),
                "text_hash": pa.array(keys, pa.string()),
                "language": pa.array([self.new[k].language for k in keys], pa.string()),
                "confidence": pa.array([self.new[k].confidence for k in keys], pa.float64()),
            },
            schema=CACHE_SCHEMA,
        )
        pq.write_table(table, path)
        return len(keys)

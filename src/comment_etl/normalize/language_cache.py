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

    def __init__(
        self,
        detector: Detector,
        snapshot: str | Path | None = None,
        new_labels_path: str | Path | None = None,
    ):
        self.detector = detector
        self.memo: OrderedDict[str, Guess] = OrderedDict()
        self.hits = 0
        self.computed = 0
        # New labels go to Parquet batch by batch: memory stays flat however many texts a
        # file has (a dict of every new label grew to ~0.5 GB on a 2 GB dump).
        self._new_path = Path(new_labels_path) if new_labels_path else None
        self._writer: pq.ParquetWriter | None = None
        self._con: duckdb.DuckDBPyConnection | None = None
        if snapshot is not None and Path(snapshot).exists():
            try:
                self._con = duckdb.connect(str(snapshot), read_only=True)
                self._con.execute("select 1 from staging.language_cache limit 0")
            except duckdb.Error:
                self.close()

    def close(self) -> None:
        """Close the snapshot and the new-labels file (an empty file if nothing was new)."""
        if self._con is not None:
            self._con.close()
            self._con = None
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        elif self._new_path is not None and not self._new_path.exists():
            pq.write_table(CACHE_SCHEMA.empty_table(), self._new_path)

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
        known: dict[str, Guess] = {}  # this batch's answers, safe from memo eviction
        missing: dict[str, str] = {}
        for key, text in zip(keys, cleaned, strict=True):
            if key is None or key in known or key in missing:
                continue
            hit = self.memo.get(key)
            if hit is None:
                missing[key] = text
            else:
                known[key] = hit
                self.memo.move_to_end(key)
        if missing:
            for key, guess in self._lookup(list(missing)).items():
                known[key] = guess
                self._remember(key, guess)
                del missing[key]
        if missing:
            # The texts are cleaned already: the detector must not clean them a second time.
            guesses = self.detector.detect_batch(list(missing.values()), cleaned=True)
            fresh = dict(zip(missing, guesses, strict=True))
            for key, guess in fresh.items():
                known[key] = guess
                self._remember(key, guess)
            self.computed += len(fresh)
            self._write_new(fresh)
        self.hits += len(texts) - len(missing)
        return [UNKNOWN if key is None else known[key] for key in keys]

    def _write_new(self, fresh: dict[str, Guess]) -> None:
        """Append labels computed in this parse (for the loader to add to the cache)."""
        if self._new_path is None:
            return
        table = pa.table(
            {
                "detector": pa.array([self.detector.name] * len(fresh), pa.string()),
                "text_hash": pa.array(list(fresh), pa.string()),
                "language": pa.array([g.language for g in fresh.values()], pa.string()),
                "confidence": pa.array([g.confidence for g in fresh.values()], pa.float64()),
            },
            schema=CACHE_SCHEMA,
        )
        if self._writer is None:
            self._writer = pq.ParquetWriter(self._new_path, CACHE_SCHEMA)
        self._writer.write_table(table)

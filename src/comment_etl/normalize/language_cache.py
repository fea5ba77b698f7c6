"""Language labels cached by (detector, hash of the cleaned text).

Real comment sections repeat themselves ("first!", "lol", copy-pasted spam), and reruns see the
same texts again. A label is computed once per detector and cleaned text:

* inside a parse, a bounded in-memory memo catches repeats within and across batches (and a
  text whose batch is still being detected is answered by that batch, not detected twice);
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
from contextlib import ExitStack
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from comment_etl.normalize.language import (
    UNDETERMINED,
    UNKNOWN,
    Detector,
    Guess,
    Labels,
    PendingLabels,
    clean_for_detection,
    has_letters,
)
from comment_etl.warehouse.connect import connect, exists
from comment_etl.warehouse.target import Warehouse, as_warehouse

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


class PendingBatch:
    """A submitted batch: what was known at once, what the detector is working on, and what an
    earlier batch still in flight will answer."""

    def __init__(
        self,
        labeler: CachedLabeler,
        keys: list[str | None],
        known: dict[str, Guess],
        missing: dict[str, str],
        inflight: dict[str, PendingBatch],
    ) -> None:
        self._labeler = labeler
        self.keys = keys
        self.known = known
        self.missing = missing
        self.inflight = inflight
        self.detection: PendingLabels | None = None
        self.guesses: list[Guess] | None = None
        #: Keys a later batch will ask this one for; all else is dropped once answered, so a
        #: chain of batches never keeps earlier batches alive.
        self.wanted: set[str] = set()
        self.kept: dict[str, Guess] = {}
        self._result: Labels | None = None

    def result(self) -> Labels:
        """(languages, confidences) of the batch, in order."""
        if self._result is None:
            self._result = self._labeler._finish(self)
        return self._result

    def answer(self, key: str) -> Guess:
        self.result()
        return self.kept[key]


class CachedLabeler:
    """Labels texts with `detector`, asking it only for texts no cache has seen."""

    def __init__(
        self,
        detector: Detector,
        snapshot: Warehouse | str | None = None,
        new_labels_path: str | Path | None = None,
    ):
        self.detector = detector
        self.memo: OrderedDict[str, Guess] = OrderedDict()
        #: Keys a submitted batch is still detecting: a later batch waits for that answer.
        self._inflight: dict[str, PendingBatch] = {}
        self.hits = 0
        self.computed = 0
        # New labels go to Parquet batch by batch: memory stays flat however many texts a
        # file has (a dict of every new label grew to ~0.5 GB on a 2 GB dump).
        self._new_path = Path(new_labels_path) if new_labels_path else None
        self._writer: pq.ParquetWriter | None = None
        self._con: duckdb.DuckDBPyConnection | None = None
        self._session = ExitStack()
        if snapshot is not None and exists(as_warehouse(snapshot)):
            try:
                self._con = self._session.enter_context(
                    connect(as_warehouse(snapshot), read_only=True)
                )
                self._con.execute("select 1 from staging.language_cache limit 0")
            except duckdb.Error:
                self.close()

    def close(self) -> None:
        """Close the snapshot and the new-labels file (an empty file if nothing was new)."""
        if self._con is not None:
            self._session.close()
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
        """Labels of `texts`, one `Guess` each (waits for them)."""
        languages, confidences = self.submit(texts).result()
        return [
            UNKNOWN if language == UNDETERMINED else Guess(language, confidence)
            for language, confidence in zip(languages, confidences, strict=True)
        ]

    def submit(self, texts: Sequence[str | None]) -> PendingBatch:
        """Start labelling `texts`; the detector works on the texts no cache knows while the
        caller goes on (decoding the next batch). Collect with ``.result()``, in submit order."""
        cleaned = [clean_for_detection(text) for text in texts]
        keys: list[str | None] = [text_hash(c) if has_letters(c) else None for c in cleaned]
        known: dict[str, Guess] = {}  # this batch's answers, safe from memo eviction
        missing: dict[str, str] = {}
        inflight: dict[str, PendingBatch] = {}  # answered by a batch still being detected
        for key, text in zip(keys, cleaned, strict=True):
            if key is None or key in known or key in missing or key in inflight:
                continue
            hit = self.memo.get(key)
            if hit is not None:
                known[key] = hit
                self.memo.move_to_end(key)
            elif key in self._inflight:
                inflight[key] = self._inflight[key]
                inflight[key].wanted.add(key)
            else:
                missing[key] = text
        if missing:
            for key, guess in self._lookup(list(missing)).items():
                known[key] = guess
                self._remember(key, guess)
                del missing[key]
        pending = PendingBatch(self, keys, known, missing, inflight)
        if missing:
            # The texts are cleaned already: the detector must not clean them a second time.
            submit = getattr(self.detector, "submit", None)
            if submit is not None:
                pending.detection = submit(list(missing.values()), cleaned=True)
            else:  # a detector with only the `Detector` protocol
                guesses = self.detector.detect_batch(list(missing.values()), cleaned=True)
                pending.guesses = guesses
            for key in missing:
                self._inflight[key] = pending
        self.hits += len(texts) - len(missing)
        return pending

    def _finish(self, pending: PendingBatch) -> Labels:
        if pending.missing:
            if pending.detection is not None:
                languages, confidences = pending.detection.result()
                guesses = [
                    UNKNOWN if lang == UNDETERMINED else Guess(lang, conf)
                    for lang, conf in zip(languages, confidences, strict=True)
                ]
            else:
                guesses = pending.guesses or []
            fresh = dict(zip(pending.missing, guesses, strict=True))
            for key, guess in fresh.items():
                pending.known[key] = guess
                self._remember(key, guess)
                if self._inflight.get(key) is pending:
                    del self._inflight[key]
            self.computed += len(fresh)
            self._write_new(fresh)
        for key, earlier in pending.inflight.items():
            pending.known[key] = earlier.answer(key)
        languages = []
        confidences = []
        for text_key in pending.keys:
            guess = UNKNOWN if text_key is None else pending.known[text_key]
            languages.append(guess.language)
            confidences.append(guess.confidence)
        pending.kept = {key: pending.known[key] for key in pending.wanted}
        pending.keys, pending.known, pending.missing, pending.inflight = [], {}, {}, {}
        pending.detection = pending.guesses = None
        return languages, confidences

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

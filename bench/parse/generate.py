"""Deterministic synthetic dumps for the parsing benchmark.

    python bench/parse/generate.py reddit --mb 200 --out bench/parse/data/RC_bench_200mb.zst
    python bench/parse/generate.py csv --mb 500 --out bench/parse/data/export_500mb.csv

* ``reddit``: a Pushshift / Arctic Shift style ``RC_YYYY-MM`` comments dump, newline-delimited
  JSON compressed with zstd (level 3, long-distance matching, window ``2**window_log``). Old
  (~18 fields) and new (~40 fields, nested ``gildings``/``all_awardings``/``_meta``) records are
  mixed, with the type drift of real dumps: ``created_utc`` an int or a string, ``score``
  sometimes null, ``edited`` false / true / epoch int / epoch string, ``[deleted]`` and
  ``[removed]`` bodies, ``t1_``/``t3_`` parents, multi-paragraph markdown bodies (Reddit's
  ``&gt;`` quotes and ``&amp;``), emoji, ten languages, a few blank lines and, every
  ``invalid_every`` records, one invalid line (cut JSON, invalid UTF-8, NUL byte, not an object,
  no ``link_id``, a bad ``created_utc`` or ``score``).
* ``csv``: a UCI-style export ``COMMENT_ID,AUTHOR,DATE,CONTENT,CLASS`` plus ``VIDEO_ID`` and
  ``LIKES``, CRLF rows, quoted commas / quotes / newlines, dates in several formats or missing,
  and every ``invalid_every`` rows one bad row (bad date, empty content, an extra field, invalid
  UTF-8).
* ``ytcd``: youtube-comment-downloader JSON lines for one video (``<video_id>.jsonl``):
  top-level comments and replies (``<parent cid>.<suffix>``), ``votes`` as YouTube shows them
  ("1.2K"), ten languages, and every ``invalid_every`` records one invalid line (cut JSON, not an
  object, no ``cid``, ``text`` not a string, bad ``votes`` or ``time_parsed``).

``first`` (``--first``) starts the record numbering later: the next day's dump, or one that
overlaps an earlier one (the same comment ids again, with new scores), as re-scrapes do.

All stream to disk (memory stays flat whatever the size) and stop at the first row past the
requested uncompressed size, or at ``rows`` rows. Each writes ``<out>.meta.json`` beside the file
with what the pipeline must find in it: comments, rejects (with their line numbers), contents,
deleted comments, uncompressed bytes. The same seed and size always give the same bytes.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import time
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson
import zstandard

MB = 1_000_000
DEFAULT_REDDIT_MB = 2000
DEFAULT_CSV_MB = 500
#: zstd's ``--long`` default (128 MiB). Real Arctic Shift dumps use 2**31, which DuckDB cannot
#: decode ("Frame requires too much memory for decoding"); ``--window-log 31`` makes such a file.
DEFAULT_WINDOW_LOG = 27
WRITE_CHUNK = 1 << 20

# --- text material --------------------------------------------------------------------------

SENTENCES: dict[str, tuple[str, ...]] = {
    "en": (
        "This is the best explanation of the problem I have read so far.",
        "I tried the same thing last year and it did not work at all for me.",
        "Honestly the documentation is terrible, but the community is great.",
        "Does anyone know if this still works with the latest version?",
        "We migrated our whole pipeline to it and never looked back.",
        "The real issue is that nobody reads the release notes before upgrading.",
        "Can confirm, same here on Linux with the default settings.",
        "That is a fair point, although I would argue the cost matters more.",
        "My team spent three weeks debugging exactly this kind of thing.",
        "Source: I have been doing this professionally for ten years.",
        "It depends on your data volume and how often you need fresh numbers.",
        "People underestimate how much time goes into cleaning the input.",
        "Thanks for sharing, this saved me a lot of time today.",
        "The second approach is simpler and probably fast enough for most teams.",
        "I would not trust those benchmarks without seeing the exact setup.",
        "Edit: fixed the link, thanks to everyone who pointed it out.",
    ),
    "de": (
        "Das ist eine sehr gute Erklärung, vielen Dank dafür.",
        "Ich habe genau das gleiche Problem mit meinem Laptop gehabt.",
        "Warum macht man das nicht einfach mit einem kleinen Skript?",
        "Bei uns in der Firma läuft das seit zwei Jahren ohne Probleme.",
        "Die Preise sind in den letzten Monaten deutlich gestiegen.",
        "Kann ich nur bestätigen, die Qualität ist wirklich schlechter geworden.",
    ),
    "es": (
        "Muchas gracias por la explicación, ahora lo entiendo mucho mejor.",
        "Yo tuve el mismo problema y lo resolví reinstalando todo.",
        "No estoy de acuerdo, creo que el precio no lo justifica.",
        "¿Alguien sabe si esto funciona también en otros países?",
        "La verdad es que el servicio al cliente fue excelente.",
        "Hace años que uso esta herramienta y nunca me ha fallado.",
    ),
    "fr": (
        "Merci beaucoup pour cette explication très claire.",
        "J'ai eu exactement le même problème la semaine dernière.",
        "Je ne suis pas du tout d'accord avec cette conclusion.",
        "Quelqu'un sait si cela fonctionne aussi sur Mac ?",
        "C'est vraiment dommage que personne ne lise la documentation.",
        "On utilise cet outil au travail depuis deux ans sans souci.",
    ),
    "pt": (
        "Muito obrigado pela explicação, ajudou bastante.",
        "Eu tive o mesmo problema e resolvi atualizando o sistema.",
        "Não concordo, acho que o preço está muito alto para o que oferece.",
        "Alguém sabe se isso ainda funciona na versão nova?",
        "Uso essa ferramenta há anos e nunca tive problemas sérios.",
    ),
    "it": (
        "Grazie mille per la spiegazione, finalmente ho capito.",
        "Ho avuto lo stesso problema con il mio computer la settimana scorsa.",
        "Non sono d'accordo, secondo me il prezzo è troppo alto.",
        "Qualcuno sa se funziona anche con la versione precedente?",
    ),
    "nl": (
        "Bedankt voor de uitleg, nu snap ik het eindelijk.",
        "Ik had precies hetzelfde probleem met mijn laptop.",
        "Volgens mij is dat helemaal niet de bedoeling van deze regel.",
        "Weet iemand of dit ook in België werkt?",
    ),
    "ru": (
        "Спасибо за подробное объяснение, теперь всё понятно.",
        "У меня была точно такая же проблема в прошлом году.",
        "Я не согласен, по-моему цена слишком высокая.",
        "Кто-нибудь знает, работает ли это на новой версии?",
    ),
    "ja": (
        "とても分かりやすい説明をありがとうございます。",
        "私も先週まったく同じ問題がありました。",
        "この方法は新しいバージョンでも使えますか？",
        "正直に言うと、値段が高すぎると思います。",
    ),
    "pl": (
        "Dziękuję za wyjaśnienie, teraz wszystko jest jasne.",
        "Miałem dokładnie ten sam problem w zeszłym tygodniu.",
        "Nie zgadzam się, moim zdaniem cena jest za wysoka.",
    ),
}
#: Share of comments per language (English dominates real subreddits).
LANGUAGE_WEIGHTS: dict[str, int] = {
    "en": 70,
    "de": 6,
    "es": 6,
    "fr": 4,
    "pt": 4,
    "it": 2,
    "nl": 2,
    "ru": 2,
    "ja": 2,
    "pl": 2,
}
EMOJI = ("😂", "👍", "🔥", "🙏", "😅", "❤️", "🤔", "🎉", "👀", "💯")
SHORT = ("lol", "this", "+1", "😂😂😂", "First!", "xD", "same", "^ this", "Source?", "wow")
MARKDOWN = (
    "&gt; {s}",  # Reddit escapes the quote marker, like & < > everywhere
    "* {s}\n* {s2}",
    "**{s}**",
    "{s} [docs](https://example.com/docs?a=1&amp;b=2)",
    "`SELECT count(*) FROM comments;` {s}",
    "{s} &lt;3",
    "1. {s}\n2. {s2}",
    "~~{s}~~ {s2}",
)
SUBREDDITS = (
    "dataengineering",
    "AskReddit",
    "de",
    "france",
    "spain",
    "brasil",
    "italy",
    "thenetherlands",
    "russia",
    "japan",
    "Python",
    "worldnews",
)
#: One fixed sample of author names, shared by both generators.
AUTHORS = tuple(
    f"{stem}_{n}" for stem in ("data", "quiet", "blue", "Mr", "anon") for n in range(40)
)


#: Each language's words, for made-up sentences that keep bodies (almost) unique, as they are
#: in real dumps: the pipeline memoizes language labels per text, so repeats would flatter it.
VOCABULARY: dict[str, tuple[str, ...]] = {
    lang: tuple(
        sorted(
            {
                word.strip('.,!?¿¡:;"').lower()
                for sentence in sentences
                for word in sentence.split()
                if len(word.strip('.,!?¿¡:;"')) > 2
            }
        )
    )
    for lang, sentences in SENTENCES.items()
}


def _made_up(rng: random.Random, lang: str) -> str:
    words = VOCABULARY[lang]
    if lang == "ja":  # no spaces; the pool's sentences are long enough to be unique in mixes
        return "".join(rng.choice(SENTENCES[lang])[:-1][rng.randint(0, 4) :] for _ in range(2))
    text = " ".join(rng.choice(words) for _ in range(rng.randint(5, 10)))
    return text[0].upper() + text[1:] + rng.choice((".", ".", "!", "?"))


def _paragraph(rng: random.Random, lang: str) -> str:
    pool = SENTENCES[lang]
    parts = [rng.choice(pool) for _ in range(rng.randint(0, 2))]
    parts.insert(rng.randint(0, len(parts)), _made_up(rng, lang))
    text = " ".join(parts)
    if rng.random() < 0.15:
        template = rng.choice(MARKDOWN)
        text = template.format(s=text, s2=rng.choice(pool))
    if rng.random() < 0.12:
        text += " " + "".join(rng.choice(EMOJI) for _ in range(rng.randint(1, 3)))
    return text


def _body(rng: random.Random, lang: str) -> str:
    roll = rng.random()
    if roll < 0.06:
        return rng.choice(SHORT)
    if roll < 0.97:  # mostly one paragraph; mean ~200 characters, like real comments
        paragraphs = rng.choices((1, 2, 3), weights=(60, 27, 13))[0]
    else:
        paragraphs = rng.randint(6, 12)
    return "\n\n".join(_paragraph(rng, lang) for _ in range(paragraphs))


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = []
    while number:
        number, rest = divmod(number, 36)
        out.append(digits[rest])
    return "".join(reversed(out)) or "0"


# --- what a generator wrote -----------------------------------------------------------------


@dataclass
class Expected:
    """What the pipeline must find in a generated file (saved as ``<file>.meta.json``)."""

    kind: str
    path: str
    seed: int
    lines: int = 0
    comments: int = 0
    deleted: int = 0
    contents: int = 0
    rejects: int = 0
    reject_lines: list[int] = field(default_factory=list)
    #: 1-based ordinal of each invalid record among all records (CSV: data rows, no header)
    reject_records: list[int] = field(default_factory=list)
    reject_kinds: dict[str, int] = field(default_factory=dict)
    text_chars: int = 0  # characters of comment text (deleted comments have none)
    uncompressed_bytes: int = 0
    compressed_bytes: int = 0
    seconds: float = 0.0

    def reject(self, line: int, record: int, kind: str) -> None:
        self.rejects += 1
        self.reject_lines.append(line)
        self.reject_records.append(record)
        self.reject_kinds[kind] = self.reject_kinds.get(kind, 0) + 1

    def save(self) -> Path:
        meta = Path(f"{self.path}.meta.json")
        meta.write_text(json.dumps(asdict(self), indent=1) + "\n")
        return meta


def load_expected(path: str | Path) -> dict[str, Any]:
    return json.loads(Path(f"{path}.meta.json").read_text())


def _done(expected: Expected, target_bytes: int | None, rows: int | None) -> bool:
    if rows is not None:
        return expected.comments + expected.rejects >= rows
    return expected.uncompressed_bytes >= (target_bytes or 0)


# --- Reddit ---------------------------------------------------------------------------------

REDDIT_INVALID = (
    "cut_json",
    "invalid_utf8",
    "nul_byte",
    "not_object",
    "no_link_id",
    "bad_created_utc",
    "bad_score",
)
#: 2025-01-01T00:00:00Z: the dump's month starts here.
EPOCH0 = 1_735_689_600
FIRST_COMMENT = int("m4a0000", 36)
FIRST_POST = int("1hq0000", 36)


def _reddit_record(rng: random.Random, number: int) -> tuple[dict[str, Any], int, bool]:
    """One comment: (record, post number, deleted)."""
    lang = rng.choices(tuple(LANGUAGE_WEIGHTS), weights=tuple(LANGUAGE_WEIGHTS.values()))[0]
    comment_id = _base36(FIRST_COMMENT + number)
    # ~40 comments per post, posts overlapping like a busy month.
    post = FIRST_POST + number // 40 + rng.randint(0, 50)
    link_id = "t3_" + _base36(post)
    if number and rng.random() < 0.6:
        parent = "t1_" + _base36(FIRST_COMMENT + rng.randint(max(0, number - 500), number - 1))
    else:
        parent = link_id
    created = EPOCH0 + number // 2 + rng.randint(0, 30)
    roll = rng.random()
    deleted = roll < 0.05
    body = ("[deleted]" if roll < 0.03 else "[removed]") if deleted else _body(rng, lang)
    author = "[deleted]" if deleted and roll < 0.03 else rng.choice(AUTHORS)
    subreddit = SUBREDDITS[post % len(SUBREDDITS)]
    edited_roll = rng.random()
    if edited_roll < 0.88:
        edited: Any = False
    elif edited_roll < 0.90:
        edited = True  # old dumps: edited, time unknown
    elif edited_roll < 0.97:
        edited = created + rng.randint(60, 86_400)
    else:
        edited = str(created + rng.randint(60, 86_400))
    score = None if rng.random() < 0.04 else rng.randint(-20, 400)
    record: dict[str, Any] = {
        "author": author,
        "author_flair_css_class": None,
        "author_flair_text": rng.choice((None, None, None, "Senior Data Engineer", ":py:")),
        "body": body,
        "controversiality": 1 if rng.random() < 0.03 else 0,
        "created_utc": created if rng.random() < 0.7 else str(created),
        "distinguished": "moderator" if rng.random() < 0.005 else None,
        "edited": edited,
        "gilded": 1 if rng.random() < 0.002 else 0,
        "id": comment_id,
        "link_id": link_id,
        "parent_id": parent,
        "retrieved_on": created + rng.randint(30, 3_600),
        "score": score,
        "stickied": False,
        "subreddit": subreddit,
        "subreddit_id": "t5_" + _base36(1_000_000 + post % len(SUBREDDITS)),
    }
    if rng.random() < 0.7:  # a newer record: many more fields, some nested
        record.update(
            {
                "_meta": {"retrieved_2nd_on": created + 86_400, "was_deleted_later": False},
                "all_awardings": [],
                "archived": False,
                "associated_award": None,
                "author_fullname": None
                if author == "[deleted]"
                else "t2_" + _base36(number % 97_003 + 10**7),
                "author_premium": rng.random() < 0.1,
                "can_gild": True,
                "collapsed": False,
                "collapsed_reason": None,
                "comment_type": None,
                "gildings": {},
                "is_submitter": rng.random() < 0.05,
                "locked": False,
                "name": "t1_" + comment_id,
                "no_follow": rng.random() < 0.5,
                "permalink": f"/r/{subreddit}/comments/{link_id[3:]}/comment/{comment_id}/",
                "send_replies": True,
                "subreddit_name_prefixed": "r/" + subreddit,
                "subreddit_type": "public",
                "top_awarded_type": None,
                "total_awards_received": 0,
                "ups": score,
            }
        )
    return record, post, deleted


def _reddit_invalid(rng: random.Random, number: int, kind: str) -> bytes:
    record, _, _ = _reddit_record(rng, number)
    line = orjson.dumps(record)
    if kind == "cut_json":
        return line[: len(line) // 2]
    if kind == "invalid_utf8":
        return line.replace(b'"body":"', b'"body":"\xff\xfe', 1)
    if kind == "nul_byte":
        return line.replace(b'"body":"', b'"body":"\x00', 1)
    if kind == "not_object":
        return orjson.dumps([record["id"], record["body"]])
    if kind == "no_link_id":
        del record["link_id"]
    elif kind == "bad_created_utc":
        record["created_utc"] = "yesterday"
    elif kind == "bad_score":
        record["score"] = "12 upvotes"
    return orjson.dumps(record)


def generate_reddit(
    path: str | Path,
    *,
    target_bytes: int | None = DEFAULT_REDDIT_MB * MB,
    rows: int | None = None,
    seed: int = 20250101,
    invalid_every: int = 5_000,
    blank_every: int = 100_000,
    level: int = 3,
    window_log: int = DEFAULT_WINDOW_LOG,
    threads: int = 2,
    first: int = 0,
) -> Expected:
    """Write a zstd NDJSON comments dump; stop past ``target_bytes`` uncompressed or at ``rows``
    records (comments + invalid lines).

    ``first`` is the number of the first record: a dump with ``first=N`` continues one that
    ended at record N (the next day's comments), one with ``first < N`` overlaps it (the same
    comment ids seen again, with other scores and edits, as a re-scrape sees them).
    """
    started = time.perf_counter()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed + first)
    expected = Expected(kind="reddit", path=str(path), seed=seed)
    posts: set[int] = set()
    params = zstandard.ZstdCompressionParameters.from_level(
        level, window_log=window_log, enable_ldm=True, threads=threads
    )
    compressor = zstandard.ZstdCompressor(compression_params=params)
    number = first  # the next record's number
    with open(path, "wb") as raw, compressor.stream_writer(raw, closefd=False) as out:
        chunk: list[bytes] = []
        pending = 0
        while not _done(expected, target_bytes, rows):
            if blank_every and expected.lines and expected.lines % blank_every == 0:
                line = b""  # a blank line: skipped, neither a comment nor a reject
            elif invalid_every and number % invalid_every == invalid_every // 2:
                kind = REDDIT_INVALID[(number // invalid_every) % len(REDDIT_INVALID)]
                line = _reddit_invalid(rng, number, kind)
                expected.reject(expected.lines + 1, number - first + 1, kind)
                number += 1
            else:
                record, post, deleted = _reddit_record(rng, number)
                line = orjson.dumps(record)
                expected.comments += 1
                expected.deleted += deleted
                expected.text_chars += 0 if deleted else len(record["body"])
                posts.add(post)
                number += 1
            expected.lines += 1
            chunk.append(line)
            chunk.append(b"\n")
            size = len(line) + 1
            pending += size
            expected.uncompressed_bytes += size
            if pending >= WRITE_CHUNK:
                out.write(b"".join(chunk))
                chunk, pending = [], 0
        out.write(b"".join(chunk))
    expected.contents = len(posts)
    expected.compressed_bytes = path.stat().st_size
    expected.seconds = round(time.perf_counter() - started, 2)
    expected.save()
    return expected


# --- CSV ------------------------------------------------------------------------------------

CSV_HEADER = ("COMMENT_ID", "AUTHOR", "DATE", "CONTENT", "CLASS", "VIDEO_ID", "LIKES")
CSV_INVALID = ("bad_date", "empty_content", "extra_field", "invalid_utf8")


def _csv_date(rng: random.Random, number: int) -> str:
    seconds = 1_380_000_000 + number * 7 + rng.randint(0, 600)
    stamp = time.gmtime(seconds)
    roll = rng.random()
    if roll < 0.55:
        return time.strftime("%Y-%m-%dT%H:%M:%S", stamp)
    if roll < 0.75:
        return time.strftime("%Y-%m-%dT%H:%M:%S", stamp) + f".{rng.randint(0, 999_999):06d}"
    if roll < 0.85:
        return time.strftime("%d.%m.%Y %H:%M", stamp)
    if roll < 0.92:
        return str(seconds)
    return ""  # UCI files have rows without a date


def _csv_row(rng: random.Random, number: int) -> tuple[list[str], int]:
    """One valid row and its video number."""
    lang = rng.choices(tuple(LANGUAGE_WEIGHTS), weights=tuple(LANGUAGE_WEIGHTS.values()))[0]
    comment_id = "z" + _base36(rng.getrandbits(186)).rjust(36, "0")[:36]
    video = number // 2_000 + rng.randint(0, 3)
    roll = rng.random()
    if roll < 0.25:
        content = _paragraph(rng, lang) + ", check out my channel, it's free!"
    elif roll < 0.35:
        content = f'He said "{rng.choice(SENTENCES[lang])}" and left.'
    else:
        content = _body(rng, lang)  # multi-paragraph bodies: quoted newlines
    if rng.random() < 0.05:
        content = "\ufeff" + content  # UCI exports carry stray BOMs inside cells
    likes = "" if rng.random() < 0.1 else str(rng.randint(0, 5_000))
    row = [
        comment_id,
        rng.choice(AUTHORS),
        _csv_date(rng, number),
        content,
        str(int(roll < 0.25)),  # CLASS: 1 = spam
        f"vid{video:07d}",
        likes,
    ]
    return row, video


class _LastLine:
    """A file-like target for `csv.writer` that keeps the row it was last given."""

    text = ""

    def write(self, text: str) -> int:
        self.text = text
        return len(text)


def generate_csv(
    path: str | Path,
    *,
    target_bytes: int | None = DEFAULT_CSV_MB * MB,
    rows: int | None = None,
    seed: int = 20140119,
    invalid_every: int = 5_000,
) -> Expected:
    """Write a CSV export; stop past ``target_bytes`` or at ``rows`` data rows (valid + bad)."""
    started = time.perf_counter()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    expected = Expected(kind="csv", path=str(path), seed=seed)
    videos: set[int] = set()
    line = _LastLine()
    writer = csv.writer(line, lineterminator="\r\n")
    number = 0
    with open(path, "wb") as out:
        chunk: list[bytes] = []
        pending = 0

        def emit(data: bytes) -> None:
            nonlocal pending
            chunk.append(data)
            pending += len(data)
            expected.uncompressed_bytes += len(data)

        writer.writerow(CSV_HEADER)
        emit(line.text.encode())
        expected.lines = 1
        while not _done(expected, target_bytes, rows):
            row, video = _csv_row(rng, number)
            bad = invalid_every and number % invalid_every == invalid_every // 2
            kind = CSV_INVALID[(number // invalid_every) % len(CSV_INVALID)] if bad else ""
            if kind == "bad_date":
                row[2] = "sometime last week"
            elif kind == "empty_content":
                row[3] = "  "
            elif kind == "extra_field":
                row.append("unexpected")
            writer.writerow(row)
            text = line.text
            if kind == "invalid_utf8":  # a stray 0xFF byte at the start of AUTHOR
                emit(text.replace(",", ",\udcff", 1).encode("utf-8", "surrogateescape"))
            else:
                emit(text.encode())
            if kind:
                expected.reject(expected.lines + 1, number + 1, kind)  # the row's first line
            else:
                expected.comments += 1
                expected.text_chars += len(row[3])
                videos.add(video)
            expected.lines += text.count("\n")
            number += 1
            if pending >= WRITE_CHUNK:
                out.write(b"".join(chunk))
                chunk.clear()
                pending = 0
        out.write(b"".join(chunk))
    expected.contents = len(videos)
    expected.compressed_bytes = expected.uncompressed_bytes
    expected.seconds = round(time.perf_counter() - started, 2)
    expected.save()
    return expected


# --- youtube-comment-downloader -------------------------------------------------------------

YTCD_INVALID = ("cut_json", "not_object", "no_cid", "text_not_string", "bad_votes", "bad_time")
#: 2025-03-01T00:00:00Z: the video was published then.
YTCD_EPOCH0 = 1_740_787_200


def _ytcd_votes(rng: random.Random) -> str:
    likes = int(rng.paretovariate(1.2)) - 1
    if likes >= 10_000:
        return f"{likes / 1000:.0f}K"
    if likes >= 1_000:
        return f"{likes / 1000:.1f}K"
    return str(likes)


def _ytcd_record(rng: random.Random, number: int) -> dict[str, Any]:
    """One comment; about a third are replies (``<parent cid>.<suffix>``) to a recent top level."""
    lang = rng.choices(tuple(LANGUAGE_WEIGHTS), weights=tuple(LANGUAGE_WEIGHTS.values()))[0]
    top = "Ugw" + _base36(10**9 + number) + "x4AaABAg"
    # The thread shape depends on the number alone: overlapping dumps agree on every cid.
    shape = random.Random(number)
    reply = number > 10 and shape.random() < 0.33
    if reply:
        parent = "Ugw" + _base36(10**9 + shape.randint(max(0, number - 300), number - 1))
        cid = f"{parent}x4AaABAg.{_base36(number)}AbCdEf"
    else:
        cid = top
    author = rng.choice(AUTHORS)
    created = YTCD_EPOCH0 + number * 3 + rng.randint(0, 60)
    return {
        "cid": cid,
        "text": _body(rng, lang),
        "time": f"{rng.randint(1, 11)} months ago",
        "author": "@" + author,
        "channel": "UC" + _base36(10**12 + zlib.crc32(author.encode())),
        "votes": _ytcd_votes(rng),
        "replies": "" if reply else str(rng.choice((0, 0, 0, 1, 2, 5, 14))),
        "photo": "https://yt3.ggpht.com/ytc/" + _base36(number),
        "heart": rng.random() < 0.01,
        "reply": reply,
        "time_parsed": float(created),
    }


def _ytcd_invalid(rng: random.Random, number: int, kind: str) -> bytes:
    record = _ytcd_record(rng, number)
    line = orjson.dumps(record)
    if kind == "cut_json":
        return line[: len(line) // 2]
    if kind == "not_object":
        return orjson.dumps([record["cid"], record["text"]])
    if kind == "no_cid":
        del record["cid"]
    elif kind == "text_not_string":
        record["text"] = {"runs": [record["text"]]}
    elif kind == "bad_votes":
        record["votes"] = "many"
    elif kind == "bad_time":
        record["time_parsed"] = "last week"
    return orjson.dumps(record)


def generate_ytcd(
    path: str | Path,
    *,
    target_bytes: int | None = 200 * MB,
    rows: int | None = None,
    seed: int = 20250301,
    invalid_every: int = 5_000,
    first: int = 0,
) -> Expected:
    """Write youtube-comment-downloader JSON lines for one video (the file name is
    ``<video_id>.jsonl``): top-level comments and replies, ten languages, one invalid line every
    ``invalid_every`` records; ``first`` as for `generate_reddit` (overlapping scrapes)."""
    started = time.perf_counter()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed + first)
    expected = Expected(kind="ytcd", path=str(path), seed=seed, contents=1)
    number = first
    with open(path, "wb") as out:
        chunk: list[bytes] = []
        pending = 0
        while not _done(expected, target_bytes, rows):
            if invalid_every and number % invalid_every == invalid_every // 2:
                kind = YTCD_INVALID[(number // invalid_every) % len(YTCD_INVALID)]
                line = _ytcd_invalid(rng, number, kind)
                expected.reject(expected.lines + 1, number - first + 1, kind)
            else:
                record = _ytcd_record(rng, number)
                line = orjson.dumps(record)
                expected.comments += 1
                expected.text_chars += len(record["text"])
            number += 1
            expected.lines += 1
            chunk += (line, b"\n")
            pending += len(line) + 1
            expected.uncompressed_bytes += len(line) + 1
            if pending >= WRITE_CHUNK:
                out.write(b"".join(chunk))
                chunk, pending = [], 0
        out.write(b"".join(chunk))
    expected.compressed_bytes = expected.uncompressed_bytes
    expected.seconds = round(time.perf_counter() - started, 2)
    expected.save()
    return expected


GENERATORS: dict[str, Callable[..., Expected]] = {
    "reddit": generate_reddit,
    "csv": generate_csv,
    "ytcd": generate_ytcd,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kind", choices=sorted(GENERATORS))
    parser.add_argument("--out", required=True, help="file to write (and <out>.meta.json)")
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--mb", type=float, help="uncompressed size in MB (10**6 bytes)")
    size.add_argument("--rows", type=int, help="records (comments + invalid ones) instead")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--invalid-every", type=int, default=5_000)
    parser.add_argument("--window-log", type=int, default=DEFAULT_WINDOW_LOG, help="reddit only")
    parser.add_argument(
        "--first",
        type=int,
        default=0,
        help="number of the first record (reddit, ytcd): continue or overlap an earlier dump",
    )
    args = parser.parse_args(argv)
    kwargs: dict[str, Any] = {"invalid_every": args.invalid_every}
    if args.rows is not None:
        kwargs.update(rows=args.rows, target_bytes=None)
    elif args.mb is not None:
        kwargs["target_bytes"] = int(args.mb * MB)
    if args.seed is not None:
        kwargs["seed"] = args.seed
    if args.kind == "reddit":
        kwargs["window_log"] = args.window_log
    if args.kind in ("reddit", "ytcd"):
        kwargs["first"] = args.first
    expected = GENERATORS[args.kind](args.out, **kwargs)
    summary = {k: v for k, v in asdict(expected).items() if not k.startswith("reject_")}
    summary["reject_kinds"] = expected.reject_kinds
    print(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

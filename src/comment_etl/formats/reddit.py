"""Reddit dumps (Pushshift / Arctic Shift ``RC_YYYY-MM``): newline-delimited JSON comments.

Files are many GB, so they are streamed line by line; the only state kept is the set of post ids
already announced as `Content` (as integers: base36 ids parse to small ints).

Id convention: every Reddit id is stored bare, without its ``t1_``/``t3_`` type prefix.
``comment_id`` = ``id``; ``content_id`` = ``link_id`` minus ``t3_`` (the post); a ``t1_``
``parent_id`` becomes ``parent_comment_id`` minus the prefix and a ``t3_`` one means top level
(None). So a parent id always joins a comment id, and a submission's ``id`` is its content id.
``author_id`` is ``author_fullname`` as given (``t2_...``; absent in old dumps); ``like_count`` is
``score`` (net votes, the only count Reddit publishes).

Type drift over the years (FORMATS.md section 4): ``created_utc`` number or string, ``score``
null, ``edited`` false / true / epoch (number or string; an epoch becomes ``updated_at``).
``[deleted]`` / ``[removed]`` bodies are kept as deleted comments without text; a ``[deleted]``
author becomes an unknown author. Reddit's JSON escapes ``&``, ``<`` and ``>`` in bodies, titles
and self texts as ``&amp;``/``&lt;``/``&gt;`` (markdown, not HTML): those three are unescaped.

Submissions mixed into the stream (a ``title`` and no ``body``) become `Content` records:
title, ``selftext`` as description (for a link post without text: the link), the thread URL.
Content ``url`` is always the discussion thread ``https://www.reddit.com/r/<sub>/comments/<id>/``,
whether it comes from a submission or from a comment's permalink, so both agree.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, BinaryIO

import orjson

from comment_etl.formats.fields import epoch_to_utc, hint_to_utc, to_int, to_str
from comment_etl.formats.jsonio import iter_json_lines_raw
from comment_etl.records import Comment, Content, Record, Reject, SourceFile

NAME = "reddit"
PLATFORM = "reddit"

DELETED = frozenset({"[deleted]", "[removed]"})


def sniff(head: str, source: SourceFile) -> bool:
    first = head.lstrip().split("\n", 1)[0]
    if not first.startswith("{"):
        return False
    # The first line may be cut at the sniff size (a huge body): any of these keys will do.
    return (
        '"link_id"' in first
        or '"subreddit"' in first
        or ('"body"' in first and '"author"' in first)
    )


def bare(reddit_id: str, prefix: str) -> str:
    return reddit_id[len(prefix) :] if reddit_id.startswith(prefix) else reddit_id


def thread_url(post_id: str, subreddit: str | None, permalink: str | None) -> str:
    """The discussion thread of a post, from a (comment or post) permalink when there is one."""
    if permalink:
        parts = permalink.strip("/").split("/")
        if len(parts) >= 4 and parts[0] == "r" and parts[2] == "comments":
            return f"https://www.reddit.com/r/{parts[1]}/comments/{parts[3]}/"
    if subreddit:
        return f"https://www.reddit.com/r/{subreddit}/comments/{post_id}/"
    return f"https://www.reddit.com/comments/{post_id}/"


def _seen_key(post_id: str) -> int | str:
    """Base36 ids as ints (a third of the memory of the strings); anything unusual stays text."""
    if post_id.isascii() and post_id.isalnum() and not post_id.startswith("0"):
        return int(post_id, 36)
    return post_id


def _edited(value: Any) -> datetime | None:
    """``edited`` is false, true (old dumps: no time), or the edit time as epoch seconds."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().lower() in ("", "false", "true"):
        return None
    return epoch_to_utc(value)


def _time(record: dict[str, Any], field: str) -> datetime | None:
    try:
        return epoch_to_utc(record.get(field))
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        raise ValueError(f"bad '{field}': {exc}") from None


def unescape(text: str) -> str:
    """Undo the only escaping Reddit applies to its markdown (``&amp;`` last)."""
    if "&" not in text:
        return text
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _text(record: dict[str, Any], field: str) -> tuple[str | None, bool]:
    """(text, is_deleted) of a body/selftext/title field."""
    value = record.get(field)
    if value is None:
        return None, False
    if not isinstance(value, str):
        raise ValueError(f"'{field}' is not a string")
    if value.strip() in DELETED:
        return None, True
    return unescape(value), False


def _record_id(record: dict[str, Any], prefix: str) -> str | None:
    record_id = to_str(record.get("id"))
    if record_id is None and isinstance(record.get("name"), str):
        record_id = bare(record["name"], prefix)
    return record_id


def _comment(
    record: dict[str, Any], number: int, retrieved_hint: datetime | None, line: bytes
) -> tuple[Comment, str | None]:
    comment_id = _record_id(record, "t1_")
    if not comment_id:
        raise ValueError("missing 'id'")
    link_id = to_str(record.get("link_id"))
    if not link_id:
        raise ValueError("missing 'link_id'")
    content_id = bare(link_id, "t3_")
    parent = to_str(record.get("parent_id"))
    if parent is None or parent.startswith("t3_") or parent == content_id:
        parent = None
    else:
        parent = bare(parent, "t1_")
    text, deleted = _text(record, "body")
    author = to_str(record.get("author"))
    try:
        score = to_int(record.get("score"))
    except ValueError as exc:
        raise ValueError(f"bad 'score': {exc}") from None
    try:
        edited = _edited(record.get("edited"))
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        raise ValueError(f"bad 'edited': {exc}") from None
    retrieved = _time(record, "retrieved_on") or _time(record, "retrieved_utc") or retrieved_hint
    comment = Comment(
        platform=PLATFORM,
        content_id=content_id,
        comment_id=comment_id,
        parent_comment_id=parent,
        author_name=None if author in DELETED else author,
        author_id=to_str(record.get("author_fullname")),
        text=text,
        published_at=_time(record, "created_utc"),
        updated_at=edited,
        retrieved_at=retrieved,
        like_count=score,
        is_deleted=deleted,
        record_number=number,
        raw=line.decode(),  # the record as written (the line; valid UTF-8 since it parsed)
    )
    return comment, to_str(record.get("subreddit"))


def _submission(record: dict[str, Any]) -> Content:
    post_id = _record_id(record, "t3_")
    if not post_id:
        raise ValueError("missing 'id'")
    title, _ = _text(record, "title")
    selftext, _ = _text(record, "selftext")
    link = to_str(record.get("url"))
    subreddit = to_str(record.get("subreddit"))
    url = thread_url(post_id, subreddit, to_str(record.get("permalink")))
    if not selftext and link and not record.get("is_self") and link.rstrip("/") != url.rstrip("/"):
        selftext = link  # a link post: what it is about is the link
    return Content(
        platform=PLATFORM,
        content_id=post_id,
        title=title,
        description=selftext or None,
        url=url,
        channel=subreddit,
        published_at=_time(record, "created_utc"),
    )


def read(stream: BinaryIO, source: SourceFile) -> Iterator[Record]:
    retrieved_hint = hint_to_utc(source.hints, "retrieved_at")
    seen: set[int | str] = set()
    for number, line, record in iter_json_lines_raw(stream):
        yield from line_records(number, line, record, retrieved_hint, seen)


def line_records(
    number: int,
    line: bytes,
    record: Any,
    retrieved_hint: datetime | None,
    seen: set[int | str],
) -> Iterator[Record]:
    """The records of one decoded line (`record` may be the `Reject` of a line that is not JSON).

    `seen` holds the posts already announced as `Content` in this file; the fast ingest path
    (`parse.fast_reddit`) calls this for the lines it leaves to the reference reader.
    """
    if isinstance(record, Reject):
        yield record
        return
    if not isinstance(record, dict):
        yield Reject.of(
            number, f"expected a JSON object, got {type(record).__name__}", orjson.dumps(record)
        )
        return
    try:
        if "body" not in record and "title" in record:
            content = _submission(record)
            seen.add(_seen_key(content.content_id))
            yield content
            return
        comment, subreddit = _comment(record, number, retrieved_hint, line)
    except ValueError as exc:
        yield Reject.of(number, str(exc), orjson.dumps(record))
        return
    key = _seen_key(comment.content_id)
    if key not in seen:
        seen.add(key)
        yield Content(
            platform=PLATFORM,
            content_id=comment.content_id,
            url=thread_url(comment.content_id, subreddit, to_str(record.get("permalink"))),
            channel=subreddit,
        )
    yield comment

"""YouTube Data API v3 responses: `commentThreads.list` and `comments.list` pages.

A file holds one page, a JSON list of pages, or one page per line (JSON lines); a bare
``youtube#commentThread`` or ``youtube#comment`` resource is accepted where a page is
(FORMATS.md section 3). Each thread gives its top-level comment and the replies embedded in
``replies.comments`` (only some of them: `comments.list?parentId=` pages carry the rest and are
read the same way).

* ``content_id`` is the ``videoId`` (thread snippet, else the comment's own snippet, else the
  thread of its parent seen earlier in the file, else the ``video_id`` hint); one `Content` per
  video, with ``channel`` = the ``channelId`` of the video's channel.
* A reply's parent is ``snippet.parentId``, else the part of its id before the first ``.``.
* Text is ``textOriginal`` when present, else ``textDisplay`` (HTML when the request used
  ``textFormat=html``, the default) turned into plain text.
* Record numbers: the line of the page for JSON lines; for a document, the 1-based index of the
  comment resource (top-level comments and replies in document order). Reject reasons carry the
  JSON path (``items[3].replies.comments[0]``) so a bad record can be found in either form.
* ``raw`` is the original resource as read (JSON): for a top-level comment its whole
  ``youtube#commentThread`` without ``replies`` (each embedded reply is its own row, whose
  ``raw`` is that reply's ``youtube#comment``); for a ``comments.list`` reply, its resource.
* ``retrieved_at`` is unknown (the API does not say when it answered) unless the
  ``retrieved_at`` hint gives it.
* `sources.youtube_api` writes ``youtube_api__<videoId>__<stamp>.jsonl``: a thread page, then
  the ``comments.list`` pages of its threads. Those return *all* replies, including the ones
  already embedded in the thread, so a reply seen embedded earlier in the file is skipped when
  ``comments.list`` returns it again (an expected overlap, not a duplicate in the data). The
  video id in that file name is also the last fallback for replies without ``videoId``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any, BinaryIO

import orjson

from comment_etl.formats.fields import hint_to_utc, iso_to_utc, to_int, to_str
from comment_etl.formats.jsonio import not_an_object, read_json
from comment_etl.normalize.html import html_to_text
from comment_etl.records import Comment, Content, Record, Reject, SourceFile

NAME = "youtube_api"
PLATFORM = "youtube"

_KIND = re.compile(r'"kind"\s*:\s*"youtube#comment')
#: The name `sources.youtube_api` gives its dumps: youtube_api__<videoId>__<UTC stamp>.jsonl
_DUMP_NAME = re.compile(r"^youtube_api__([A-Za-z0-9_-]{11})__")
_PAGE_KINDS = {"youtube#commentThreadListResponse", "youtube#commentListResponse"}


def sniff(head: str, source: SourceFile) -> bool:
    return head.lstrip()[:1] in ("{", "[") and _KIND.search(head) is not None


class _Reader:
    def __init__(self, source: SourceFile) -> None:
        named = _DUMP_NAME.match(source.name)
        self.video_hint = source.hints.get("video_id") or (named.group(1) if named else None)
        self.retrieved_at: datetime | None = hint_to_utc(source.hints, "retrieved_at")
        self.videos: set[str] = set()
        #: Top-level comment id -> video id, so comments.list replies in the same file find it.
        self.thread_video: dict[str, str] = {}
        #: Ids of replies read embedded in a thread (at most 5 per thread).
        self.embedded: set[str] = set()
        self.line: int | None = None  # set for JSON lines: every record of a page gets it
        self.index = 0

    def number(self) -> int:
        self.index += 1
        return self.line if self.line is not None else self.index

    def value(self, value: Any, path: str) -> Iterator[Record]:
        """A page, a list of pages, or a single thread/comment resource."""
        if isinstance(value, list):
            for i, element in enumerate(value):
                yield from self.value(element, f"{path}[{i}]")
            return
        if not isinstance(value, dict):
            yield not_an_object(self.number(), value, f"{path or 'record'}: ")
            return
        kind = value.get("kind")
        dot = f"{path}." if path else ""
        if kind in _PAGE_KINDS or (kind is None and isinstance(value.get("items"), list)):
            items = value.get("items")
            if not isinstance(items, list):
                yield Reject.of(
                    self.number(), f"{dot}items: missing or not a list", orjson.dumps(value)
                )
                return
            for i, item in enumerate(items):
                yield from self.value(item, f"{dot}items[{i}]")
        elif kind == "youtube#commentThread":
            yield from self.thread(value, path or "thread")
        elif kind == "youtube#comment":
            if to_str(value.get("id")) in self.embedded:
                self.number()  # keeps document indexes stable
                return  # comments.list repeating a reply already read from its thread
            record = self.comment(value, path or "comment", video_id=None, thread_parent=None)
            if isinstance(record, Comment):  # a comments.list reply: its video may be new here
                yield from self.content(record.content_id, value["snippet"].get("channelId"))
            yield record
        elif kind is None and isinstance(value.get("error"), dict):
            error = value["error"]
            yield Reject.of(
                self.number(),
                f"API error response: {error.get('code')} {error.get('message')}",
                orjson.dumps(value),
            )
        else:
            yield Reject.of(
                self.number(), f"{path or 'record'}: unexpected kind {kind!r}", orjson.dumps(value)
            )

    def thread(self, thread: dict[str, Any], path: str) -> Iterator[Record]:
        snippet = thread.get("snippet")
        if not isinstance(snippet, dict):
            yield Reject.of(self.number(), f"{path}.snippet: missing", orjson.dumps(thread))
            return
        video_id = to_str(snippet.get("videoId")) or self.video_hint
        if not video_id:
            yield Reject.of(self.number(), f"{path}.snippet.videoId: missing", orjson.dumps(thread))
            return
        yield from self.content(video_id, snippet.get("channelId"))
        top = self.comment(
            snippet.get("topLevelComment"),
            f"{path}.snippet.topLevelComment",
            video_id=video_id,
            thread_parent=None,
            thread=thread,
        )
        yield top
        top_id = top.comment_id if isinstance(top, Comment) else None
        if top_id:
            self.thread_video[top_id] = video_id
        replies = thread.get("replies")
        comments = replies.get("comments") if isinstance(replies, dict) else None
        if not isinstance(comments, list):
            return
        for j, reply in enumerate(comments):
            record = self.comment(
                reply,
                f"{path}.replies.comments[{j}]",
                video_id=video_id,
                thread_parent=top_id or to_str(thread.get("id")),
            )
            if isinstance(record, Comment):
                self.embedded.add(record.comment_id)
            yield record

    def content(self, video_id: str, channel: Any) -> Iterator[Content]:
        if video_id not in self.videos:
            self.videos.add(video_id)
            yield Content(
                platform=PLATFORM,
                content_id=video_id,
                url=f"https://www.youtube.com/watch?v={video_id}",
                channel=to_str(channel),
            )

    def comment(
        self,
        resource: Any,
        path: str,
        *,
        video_id: str | None,
        thread_parent: str | None,
        thread: dict[str, Any] | None = None,
    ) -> Record:
        """One comment resource. `thread` is set for a top-level comment (which has no parent);
        `thread_parent` is the top-level id for replies embedded in a thread."""
        number = self.number()
        position = self.index
        if not isinstance(resource, dict):
            return Reject.of(number, f"{path}: missing or not an object", orjson.dumps(resource))
        comment_id = to_str(resource.get("id"))
        if comment_id is None and thread is not None:
            comment_id = to_str(thread.get("id"))  # the thread id is the top-level comment id
        if not comment_id:
            return Reject.of(number, f"{path}.id: missing", orjson.dumps(resource))
        snippet = resource.get("snippet")
        if not isinstance(snippet, dict):
            return Reject.of(number, f"{path}.snippet: missing", orjson.dumps(resource))

        parent = None
        if thread is None:
            parent = to_str(snippet.get("parentId"))
            if parent is None and "." in comment_id:
                parent = comment_id.split(".", 1)[0]
            parent = parent or thread_parent
        if video_id is None:
            video_id = (
                to_str(snippet.get("videoId"))
                or self.thread_video.get(parent or "")
                or self.video_hint
            )
            if not video_id:
                return Reject.of(
                    number,
                    f"{path}.snippet.videoId: missing (set the video_id hint for comments.list "
                    "pages)",
                    orjson.dumps(resource),
                )
        field = "textOriginal"
        try:
            text = snippet.get("textOriginal")
            if text is None:
                field = "textDisplay"
                display = snippet.get("textDisplay")
                if display is not None and not isinstance(display, str):
                    raise ValueError("not a string")
                text = html_to_text(display) if display is not None else None
            elif not isinstance(text, str):
                raise ValueError("not a string")
            field = "likeCount"
            likes = to_int(snippet.get("likeCount"))
            field = "totalReplyCount"
            replies = to_int(thread["snippet"].get("totalReplyCount")) if thread else None
            field = "publishedAt"
            published = iso_to_utc(snippet.get("publishedAt"))
            field = "updatedAt"
            updated = iso_to_utc(snippet.get("updatedAt"))
        except (TypeError, ValueError) as exc:
            owner = "snippet" if field != "totalReplyCount" else "(thread) snippet"
            return Reject.of(number, f"{path}.{owner}.{field}: {exc}", orjson.dumps(resource))

        author_channel = snippet.get("authorChannelId")
        if isinstance(author_channel, dict):
            author_channel = author_channel.get("value")
        # The original record: the thread holding a top-level comment (its embedded replies
        # are rows of their own), else the comment resource itself.
        raw = resource if thread is None else {k: v for k, v in thread.items() if k != "replies"}
        return Comment(
            platform=PLATFORM,
            content_id=video_id,
            comment_id=comment_id,
            parent_comment_id=parent,
            author_name=to_str(snippet.get("authorDisplayName")),
            author_id=to_str(author_channel),
            text=text,
            published_at=published,
            updated_at=updated,
            retrieved_at=self.retrieved_at,
            like_count=likes,
            reply_count=replies,
            position=position,
            record_number=number,
            raw=orjson.dumps(raw).decode(),
        )


def read(stream: BinaryIO, source: SourceFile) -> Iterator[Record]:
    reader = _Reader(source)
    data = read_json(stream)
    if data.lines is None:
        yield from reader.value(data.document, "")
        return
    for number, value in data.lines:
        if isinstance(value, Reject):
            yield value
            continue
        reader.line = number
        yield from reader.value(value, "")

"""Network sources: fetch raw dumps into the landing folder, never parse them.

Everything a source writes lands under its final name only when complete (written as a
dot-prefixed ``.part`` file, then renamed), so the parse step reads it exactly like a file
someone dropped into the landing folder by hand.

* `youtube_api.scrape_videos` -- YouTube Data API v3 comment threads, one JSON-lines file per
  video and fetch;
* `http_dump.download_dumps` -- HTTP(S) dump files (resumable, size- and type-checked).
"""

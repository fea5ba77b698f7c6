"""DuckDB runs capped (memory, threads, a spill folder) in the loader's connections and in dbt."""

from __future__ import annotations

import csv
import math
import shutil
import subprocess
from pathlib import Path

import duckdb

from comment_etl.transform.dbt_build import dbt_executable, dbt_subprocess_env
from comment_etl.warehouse.connect import connect
from comment_etl.warehouse.limits import dbt_env, duckdb_config
from tests.conftest import REPO, load_script

DBT_PROJECT = REPO / "dbt"


def _setting(con, name: str) -> str:
    return con.execute("select current_setting(?)", [name]).fetchone()[0]


def _dbt_run_capped(
    tmp_path: Path,
    warehouse: Path,
    model: str,
    memory_limit: str,
    *,
    seeds: tuple[str, ...] = (),
    dbt_vars: str | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """`dbt run` one model (full refresh) on `warehouse`, DuckDB capped at `memory_limit`, one
    thread, spilling under `tmp_path`, after `dbt seed` of `seeds`, with `dbt_vars` (YAML) if
    given. With `check`, fails the test with dbt's output if a step fails; returns the run."""
    env = dbt_subprocess_env(
        tmp_path,
        COMMENTS_WAREHOUSE=str(warehouse),
        COMMENTS_DUCKDB_MEMORY_LIMIT=memory_limit,
        COMMENTS_DUCKDB_THREADS="1",
        COMMENTS_DUCKDB_TEMP_DIR=str(tmp_path / "spill"),
    )
    project = ["--project-dir", str(DBT_PROJECT), "--profiles-dir", str(DBT_PROJECT)]
    run = [dbt_executable(), "run", "--select", model, "--full-refresh", *project]
    commands = [run + (["--vars", dbt_vars] if dbt_vars else [])]
    if seeds:
        commands.insert(0, [dbt_executable(), "seed", "--select", *seeds, *project])
    for command in commands:
        proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0 or not check, proc.stdout[-3000:]
    return proc


def test_warehouse_connections_are_capped(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("COMMENTS_DUCKDB_MEMORY_LIMIT", "300MB")
    monkeypatch.setenv("COMMENTS_DUCKDB_THREADS", "1")
    warehouse = tmp_path / "w.duckdb"
    with connect(warehouse) as con:
        assert _setting(con, "threads") == 1
        assert _setting(con, "memory_limit") == "286.1 MiB"  # 300 MB
        assert _setting(con, "temp_directory") == str(warehouse.resolve()) + ".tmp"


def test_defaults_and_dbt_environment(tmp_path: Path, monkeypatch) -> None:
    for name in ("COMMENTS_DUCKDB_MEMORY_LIMIT", "COMMENTS_DUCKDB_THREADS"):
        monkeypatch.delenv(name, raising=False)
    config = duckdb_config(tmp_path / "w.duckdb")
    assert config["memory_limit"] == "700MB"
    assert config["threads"] == "2"
    env = dbt_env(tmp_path / "w.duckdb")
    assert env["COMMENTS_DUCKDB_TEMP_DIR"] == config["temp_directory"]


def test_content_terms_build_in_batches_fits_the_memory_cap(tmp_path: Path) -> None:
    """`int_content_terms` counts every (content, comment, term): ~26M term uses at 1M comments.
    DuckDB's hash aggregate did not spill those text keys reliably (at 10M comments the build ran
    out of a 700MB cap), so the model counts in batches of whole contents, one statement each.
    200,000 synthetic comments (2,000 contents, 12 words each out of 300,000) under a 100MB cap:
    in one batch the build must fail with DuckDB's Out of Memory Error (the cap binds); in 8
    batches of 25,000 comments it must build, and give the same rows as one batch built without
    the cap."""
    warehouse = tmp_path / "batched" / "comments.duckdb"
    reference = tmp_path / "whole" / "comments.duckdb"
    warehouse.parent.mkdir()
    con = duckdb.connect(str(warehouse))
    con.execute("create schema marts; create schema intermediate; create schema seeds")
    con.execute(
        """
        create table marts.fct_comments as
        select
            'c' || (i % 2000) as content_key, 'youtube' as platform,
            'v' || (i % 2000) as content_id, 'youtube:k' || i as comment_key,
            'k' || i as comment_id, 'en' as language, false as is_spam,
            (select string_agg('w' || ((i * 7919 + j * 104729) % 300000)
                || case when j % 3 = 0 then 's' else '' end, ' ') from range(12) as t(j))
                as comment_text
        from range(200000) as r(i)
        """
    )
    con.execute("create table seeds.stop_words as select 'the' as word, 'en' as language")
    con.execute(
        "create table intermediate.int_contents__touched as "
        "select distinct content_key from marts.fct_comments"
    )
    con.close()
    reference.parent.mkdir()
    shutil.copy(warehouse, reference)

    _dbt_run_capped(
        tmp_path / "batched",
        warehouse,
        "int_content_terms",
        "100MB",
        dbt_vars="{topic_batch_comments: 25000}",
    )
    one_batch = "{topic_batch_comments: 1000000}"
    # the cap binds: in one batch the same build runs out of it
    failed = _dbt_run_capped(
        tmp_path / "whole", reference, "int_content_terms", "100MB", dbt_vars=one_batch, check=False
    )
    assert failed.returncode != 0
    assert "Out of Memory" in failed.stdout, failed.stdout[-3000:]
    _dbt_run_capped(tmp_path / "whole", reference, "int_content_terms", "4GB", dbt_vars=one_batch)
    with duckdb.connect(str(warehouse)) as con:
        con.execute(f"attach '{reference}' as whole (read_only)")
        contents, terms = con.execute(
            "select count(distinct content_key), count(*) from intermediate.int_content_terms"
        ).fetchone()
        differences = con.execute(
            """
            select count(*) from (
                (select * from intermediate.int_content_terms
                 except all select * from whole.intermediate.int_content_terms)
                union all
                (select * from whole.intermediate.int_content_terms
                 except all select * from intermediate.int_content_terms)
            )
            """
        ).fetchone()[0]
    assert contents == 2000
    assert terms > 4_000_000  # every term of every batch, not the first batch alone
    assert differences == 0


def test_comment_lists_build_spills_instead_of_running_out_of_memory(tmp_path: Path) -> None:
    """`fct_comments` gathers each comment's themes and spam reasons into sorted lists. DuckDB's
    list() aggregate cannot spill, so `list(theme order by theme)` per comment ran out of the
    memory cap at millions of comments (8M groups failed under 700MB); the bits of
    macros/name_bits.sql spill. 600,000 synthetic comments (two themes and one spam signal
    each) under an 80MB cap: the list() version fails at once, this one must build, and the
    lists must be the sorted names."""
    warehouse = tmp_path / "comments.duckdb"
    rows = 600_000
    keys = "'youtube' as platform, 'v' || (i % 1000) as content_id, 'k' || i as comment_id"
    con = duckdb.connect(str(warehouse))
    con.execute("create schema intermediate")
    con.execute(
        f"""
        create table intermediate.int_comments__latest as
        select {keys}, null::varchar as parent_comment_id, 'a' || (i % 5000) as author_id,
            'author' as author_name, 'text ' || i as comment_text,
            timestamp '2026-01-01' as published_at, null::timestamp as updated_at,
            0 as like_count, 0 as reply_count, i as position, false as is_reply,
            false as is_deleted, 'en' as language, 0.9 as language_confidence,
            'fasttext' as language_detector, 1 as observation_count,
            'dump.ndjson' as source_file, 'day1' as load_id,
            timestamp '2026-01-02' as ingested_at
        from range({rows}) as r(i)
        """
    )
    con.execute(
        f"""
        create table intermediate.int_comment_themes as
        select {keys}, 'theme_' || ((i * 7 + j) % 10) as theme, 2 as score,
            ['word'] as matched_terms, 1::bigint as match_count
        from range({rows}) as r(i), range(2) as s(j)
        """
    )
    con.execute(
        f"""
        create table intermediate.int_comment_spam_signals as
        select {keys}, 'signal_' || (i % 5) as spam_signal, 1 as weight, 'why' as evidence
        from range({rows}) as r(i)
        """
    )
    con.execute(
        f"""
        create table intermediate.int_comment_sentiment as
        select {keys}, 0.1 as sentiment_score, 'positive' as sentiment
        from range({rows}) as r(i)
        """
    )
    con.execute(
        "create table intermediate.int_comments__touched as "
        "select platform, content_id, comment_id from intermediate.int_comments__latest limit 0"
    )
    con.close()
    _dbt_run_capped(tmp_path, warehouse, "fct_comments", "80MB")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        comments, wrong = con.execute(
            """
            select
                count(*),
                count(*) filter (
                    where themes <> list_sort([
                        'theme_' || ((position * 7) % 10), 'theme_' || ((position * 7 + 1) % 10)
                    ])
                    or spam_reasons <> ['signal_' || (position % 5)]
                    or spam_score <> 1
                )
            from marts.fct_comments
            """
        ).fetchone()
    assert comments == rows
    assert wrong == 0


def _top_model_terms(text: str, count: int) -> tuple[list[str], float]:
    """The classifier's reading of `text`, computed here from the seed file with the trainer's
    own terms (bench/themes/spam_model.py `terms_of`): its `count` heaviest terms (ties by term)
    and the spam probability."""
    spam_model = load_script("bench_themes_spam_model", REPO / "bench" / "themes" / "spam_model.py")
    with (DBT_PROJECT / "seeds" / "spam_model_terms.csv").open(newline="") as handle:
        weights = {row["term"]: float(row["weight"]) for row in csv.DictReader(handle)}
    (terms,) = spam_model.terms_of([text])
    known = sorted((t for t in terms if t in weights), key=lambda t: (-weights[t], t))
    score = weights[spam_model.BIAS] + sum(weights[t] for t in known)
    return known[:count], 1 / (1 + math.exp(-score))


def test_spam_classifier_build_spills_instead_of_running_out_of_memory(tmp_path: Path) -> None:
    """`int_comment_spam_signals` names, for each comment the classifier flags, the three terms
    that weighed most. As `list(term order by weight desc)[1:3]` per comment that was an
    ordered aggregate: it cannot spill and takes at least 32 KiB per group, so a full build of a
    million YouTube comments failed even under a 10GB cap. 100,000 synthetic YouTube comments,
    every one flagged, under a 100MB cap: the build must pass (the old SQL fails at once) and
    every evidence must name the terms the seed's weights give."""
    warehouse = tmp_path / "comments.duckdb"
    rows = 100_000
    templates = ["please subscribe to my channel", "check out my new song and share it"]
    con = duckdb.connect(str(warehouse))
    con.execute("create schema intermediate")
    con.execute(
        f"""
        create table intermediate.int_comments__latest as
        select 'youtube' as platform, 'v' || (i % 1000) as content_id, 'k' || i as comment_id,
            'a' || i as author_id, 'author' as author_name,
            ($templates)[1 + i % 2] || ' zq' || i as comment_text,
            ($templates)[1 + i % 2] || ' zq' || i as normalized_text
        from range({rows}) as r(i)
        """,
        {"templates": templates},
    )
    con.execute(
        "create table intermediate.int_comments__touched as "
        "select platform, content_id, comment_id from intermediate.int_comments__latest limit 0"
    )
    con.close()
    _dbt_run_capped(
        tmp_path,
        warehouse,
        "int_comment_spam_signals",
        "100MB",
        seeds=("spam_signals", "spam_model_terms", "spam_signal_platforms"),
    )
    expected = []
    for template in templates:
        top, probability = _top_model_terms(template + " zq0", 3)
        assert probability >= 0.9  # the classifier speaks for every comment
        expected.append(f"p={round(probability, 2)}: {', '.join(top)}")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        flagged, wrong = con.execute(
            """
            select
                count(*),
                count(*) filter (
                    where evidence <> ($expected)[1 + cast(substr(comment_id, 2) as bigint) % 2]
                )
            from intermediate.int_comment_spam_signals
            where spam_signal = 'classifier'
            """,
            {"expected": expected},
        ).fetchone()
    assert flagged == rows
    assert wrong == 0


def test_theme_examples_build_spills_instead_of_running_out_of_memory(tmp_path: Path) -> None:
    """`fct_theme_summary` shows one example comment per content, theme and language. As an
    ordered aggregate (first(comment_id order by score desc, ...)) it could not spill: at 10M
    comments (1.7M groups) it ran out of the 700MB cap. Now a window picks the examples.
    600,000 synthetic themed comments of ~250 characters in 300,000 groups under a 100MB cap
    (the ordered aggregate fails there at once): the build must pass, and each group's example
    must be its first comment by score, likes and position."""
    warehouse = tmp_path / "comments.duckdb"
    rows, contents = 600_000, 3_000
    con = duckdb.connect(str(warehouse))
    con.execute("create schema intermediate")
    con.execute("create schema marts")
    # comment i: content i % 3000, language (i // 3000) % 10, theme (i // 30000) % 10: every
    # (content, language, theme) twice
    keys = f"'youtube' as platform, 'v' || (i % {contents}) as content_id, 'k' || i as comment_id"
    con.execute(
        f"""
        create table marts.fct_comments as
        select {keys}, md5('youtube|v' || (i % {contents})) as content_key,
            'l' || ((i // {contents}) % 10) as language, false as is_spam, i % 13 as like_count,
            repeat('comment text number ' || i || ' ', 12) as comment_text, i as position
        from range({rows}) as r(i)
        """
    )
    con.execute(
        f"""
        create table intermediate.int_comment_themes as
        select {keys}, 'theme_' || ((i // {contents * 10}) % 10) as theme, i % 7 + 1 as score
        from range({rows}) as r(i)
        """
    )
    con.execute(
        "create table intermediate.int_contents__touched as select "
        "md5('') as content_key, 'youtube' as platform, 'v' as content_id limit 0"
    )
    con.close()
    _dbt_run_capped(tmp_path, warehouse, "fct_theme_summary", "100MB")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        groups, wrong = con.execute(
            """
            with best as (
                select c.content_key, t.theme, c.language,
                    arg_min(c.comment_id, (-t.score, -c.like_count, c.position)) as comment_id
                from marts.fct_comments as c
                join intermediate.int_comment_themes as t using (platform, content_id, comment_id)
                group by all
            )
            select count(*), count(*) filter (where s.example_comment_id <> b.comment_id)
            from marts.fct_theme_summary as s
            join best as b using (content_key, theme, language)
            """
        ).fetchone()
    assert groups == 300_000
    assert wrong == 0

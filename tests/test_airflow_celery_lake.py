"""Lake mode on the team deployment: Celery workers for compute, a DuckLake for the warehouse.

The deployment of `test_airflow_celery.py` (CeleryExecutor, Postgres metadata, Redis broker,
two workers, api-server, scheduler, dag-processor, triggerer, everything through the REST API)
with `COMMENTS_WAREHOUSE=ducklake:postgres:...`: a catalog database of its own on the same
Postgres, owned by a role of its own whose password only PGPASSWORD carries, and Parquet files
in a local folder. A triggered run parses four files on the two workers, each parse task staging
its own file into the lake; publish records the snapshot id and copies nothing; the same run
again changes nothing; the catalog password appears in no task log.
"""

from __future__ import annotations

import re
import secrets
import shutil

import psycopg
import pytest

from comment_etl.bi import published_source
from comment_etl.warehouse.connect import connect
from comment_etl.warehouse.publish import published_version
from comment_etl.warehouse.target import Lake, Warehouse, parse_warehouse
from tests import services
from tests.conftest import FIXTURES, SEED_PAGE
from tests.test_airflow_celery import (
    WORKERS,
    celery_deployment,
    unpause_and_run_the_first_day,
)
from tests.test_airflow_server import DAG_ID, states_of

pytestmark = [
    pytest.mark.airflow_server,
    pytest.mark.celery,
    pytest.mark.skipif(services.missing() is not None, reason=str(services.missing())),
]

YTCD_DUMP = FIXTURES / "daily" / "Xk3vTq9LmPw.jsonl"
LAKE_ROLE = "lake_writer"


@pytest.fixture(scope="module")
def lake_cluster(tmp_path_factory: pytest.TempPathFactory):
    """The Celery deployment in lake mode; yields the cluster, its lake and the lake password."""
    root = tmp_path_factory.mktemp("airflow-celery-lake")
    lake_password = secrets.token_urlsafe(12)
    data_path = f"{root / 'lake'}/"

    def catalog(pg: services.Postgres) -> str:
        return f"ducklake:postgres:dbname=lake host=127.0.0.1 port={pg.port} user={LAKE_ROLE}"

    def lake_settings(pg: services.Postgres) -> dict[str, str]:
        with psycopg.connect(pg.url(driver="postgresql"), autocommit=True) as con:
            con.execute(f"create role {LAKE_ROLE} login password '{lake_password}'")
            con.execute(f"create database lake owner {LAKE_ROLE}")
        return {
            "COMMENTS_WAREHOUSE": catalog(pg),
            "COMMENTS_LAKE_DATA_PATH": data_path,
            "PGPASSWORD": lake_password,
        }

    with (
        pytest.MonkeyPatch.context() as patch,
        celery_deployment(root, lake_settings) as (cluster, pg),
    ):
        patch.setenv("PGPASSWORD", lake_password)  # this test's own reads of the lake
        lake = parse_warehouse(catalog(pg), data_path)
        assert isinstance(lake, Lake)
        yield cluster, lake, lake_password


def rows(lake: Warehouse, sql: str) -> list[tuple]:
    with connect(lake, read_only=True) as con:
        return con.execute(sql).fetchall()


def test_parse_tasks_on_two_workers_stage_into_one_lake(lake_cluster, webhook):
    cluster, lake, lake_password = lake_cluster
    url, received = webhook
    root = cluster.home.parent
    first = unpause_and_run_the_first_day(cluster, url)

    # -- four files at once: the ytcd dump in three parts and the seed page --------------------
    lines = YTCD_DUMP.read_text().splitlines()
    for part, chunk in enumerate((lines[:2], lines[2:4], lines[4:]), start=1):
        (root / "landing" / f"Xk3vTq9LmPw_part{part}.jsonl").write_text("\n".join(chunk) + "\n")
    shutil.copy(SEED_PAGE, root / "landing")
    run_id = cluster.trigger(DAG_ID, None)
    assert cluster.wait_for_run(DAG_ID, run_id, timeout=900) == "success", cluster.logs()
    states = states_of(cluster, run_id)
    assert sorted(k for k in states if k.startswith("parse[")) == [f"parse[{i}]" for i in range(4)]
    assert states["publish"] == "success"

    # Each parse task staged its own file (one ledger row each, in one transaction with its
    # rows); load_staging only counted them.
    files = [f"Xk3vTq9LmPw_part{part}.jsonl" for part in (1, 2, 3)] + [SEED_PAGE.name]
    ledger = rows(lake, "select source_file, status from staging.load_ledger")
    assert sorted(ledger) == sorted((name, "loaded") for name in files)
    per_file = rows(lake, "select source_file, count(*) from staging.comments group by all")
    assert dict(per_file) == dict(zip(files, (2, 2, 1, 12), strict=True))
    published = published_version(lake)
    assert published is not None
    source = published_source(lake, root / "warehouse" / "comments_bi.duckdb")
    assert source == lake.at(published)
    assert rows(source, "select count(*) from marts.fct_comments") == [(12 + 5,)]
    assert not (root / "warehouse" / "comments_bi.duckdb").exists()  # nothing was copied
    assert any((root / "lake").rglob("*.parquet"))

    # The parse tasks ran on both workers (Celery logs each workload with its task id).
    parse_per_worker = {
        name: len(re.findall(r"Executing workload in Celery.*task_id='parse'", log))
        for name in WORKERS
        for log in [cluster.log_tail(name, 100000)]
    }
    assert sum(parse_per_worker.values()) == 4 + 0, parse_per_worker  # the empty run parsed none
    assert all(count > 0 for count in parse_per_worker.values()), parse_per_worker

    # -- the same files again: nothing new, nothing rebuilt, nothing republished --------------
    again = cluster.trigger(DAG_ID, None)
    assert cluster.wait_for_run(DAG_ID, again, timeout=900) == "success", cluster.logs()
    again_states = states_of(cluster, again)
    assert again_states["dbt_build"] == "skipped"
    assert sorted(rows(lake, "select source_file, status from staging.load_ledger")) == sorted(
        ledger
    )
    assert rows(lake, "select count(*) from staging.comments") == [(12 + 5,)]
    assert published_version(lake) == published

    # -- the catalog's password reached no task log ----------------------------------------------
    for run in (first["dag_run_id"], run_id, again):
        for ti in cluster.task_instances(DAG_ID, run):
            if ti["state"] in ("success", "failed"):
                log = cluster.task_log(
                    DAG_ID, run, ti["task_id"], ti["try_number"], ti["map_index"]
                )
                assert lake_password not in log, f"{ti['task_id']} logged the lake password"
    assert [a["findings"] for a in received if a["run_id"] not in (first["dag_run_id"],)] == []

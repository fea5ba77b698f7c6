"""Helpers to load and run the real DAGs with `dag.test()` in tests."""

from __future__ import annotations

import importlib.util
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def load_dag(name: str = "comments_daily"):
    """Import dags/<name>.py the way the DAG processor would and return its DAG."""
    spec = importlib.util.spec_from_file_location(f"dag_{name}", REPO / "dags" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.dag


def run_dag(logical_date: datetime, name: str = "comments_daily"):
    """Run the DAG once for `logical_date`; returns the finished DagRun."""
    dag = load_dag(name)
    return dag.test(logical_date=logical_date)


def task_states(dag_run) -> dict[str, str]:
    """task_id (with map index for mapped tasks) -> final state."""
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session

    with create_session() as session:
        tis = session.query(TaskInstance).filter(
            TaskInstance.dag_id == dag_run.dag_id, TaskInstance.run_id == dag_run.run_id
        )
        return {
            (ti.task_id if ti.map_index < 0 else f"{ti.task_id}[{ti.map_index}]"): str(ti.state)
            for ti in tis
        }

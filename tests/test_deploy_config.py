"""docker-compose.yml is valid and matches the tested Celery deployment.

No Docker engine runs on our machines, so the compose file is validated with Debian's
`docker-compose config` (which resolves anchors, `.env` values and required variables) and its
resolved form is checked against what the team deployment needs; the configuration itself is
run for real, without Docker, by tests/test_airflow_celery.py from the same
deploy/airflow-celery.env.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.test_airflow_celery import deploy_env

REPO = Path(__file__).resolve().parents[1]
COMPOSE = shutil.which("docker-compose")
AIRFLOW_SERVICES = {
    "airflow-init",
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
    "airflow-worker",
}

pytestmark = pytest.mark.skipif(
    COMPOSE is None, reason="needs Debian's docker-compose package (.ci/run installs it)"
)


def compose_config(env_file: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(COMPOSE), "--env-file", str(env_file), "config"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def resolved() -> dict:
    done = compose_config(REPO / ".env.example")
    assert done.returncode == 0, done.stderr
    return yaml.safe_load(done.stdout)


def test_services_follow_the_official_airflow_3_layout(resolved):
    services = resolved["services"]
    assert set(services) == AIRFLOW_SERVICES | {"postgres", "redis"}
    for name in AIRFLOW_SERVICES - {"airflow-init"}:
        service = services[name]
        assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
        assert service["depends_on"]["airflow-init"]["condition"] == (
            "service_completed_successfully"
        ), name
        assert service["user"] == "50000:0", name
        assert "container_name" not in service, f"{name} could not be scaled"
    assert services["airflow-worker"]["depends_on"]["airflow-apiserver"]["condition"] == (
        "service_healthy"
    )


def test_every_airflow_service_shares_secrets_and_the_tested_settings(resolved):
    services = resolved["services"]
    tested = deploy_env()
    shared = (
        "AIRFLOW__API_AUTH__JWT_SECRET",
        "AIRFLOW__CORE__FERNET_KEY",
        "AIRFLOW__API__SECRET_KEY",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
        "AIRFLOW__CELERY__BROKER_URL",
    )
    first = services["airflow-scheduler"]["environment"]
    for name in AIRFLOW_SERVICES:
        env = services[name]["environment"]
        for key in shared:
            assert env[key] == first[key], f"{name}: {key} differs"
        for key, value in tested.items():
            assert str(env[key]) == value, f"{name}: {key}={env[key]!r}, tested with {value!r}"
        assert env["AIRFLOW__CORE__PLUGINS_FOLDER"] == "/opt/comments/plugins"
        assert "PYTHONPATH" not in env, "the package is installed in the image, not on a path"
    assert first["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg://")


def test_api_only_on_loopback_and_the_data_volume_is_made_writable(resolved):
    services = resolved["services"]
    ports = [str(p) for s in services.values() for p in s.get("ports", [])]
    published = services["airflow-apiserver"]["ports"]
    assert len(ports) == len(published) == 1
    port = published[0]
    host_ip = port.get("host_ip") if isinstance(port, dict) else port.split(":")[0]
    assert host_ip == "127.0.0.1"
    init = services["airflow-init"]
    assert init["user"] == "0:0"
    script = "\n".join(init["command"])
    assert 'chown -R "50000:0" /data' in script
    assert "airflow pools set duckdb_writer 1" in script


def test_no_secret_is_written_in_the_compose_file_and_missing_ones_stop_it(tmp_path):
    text = (REPO / "docker-compose.yml").read_text()
    example = dict(
        line.split("=", 1)
        for line in (REPO / ".env.example").read_text().splitlines()
        if "=" in line and not line.startswith("#")
    )
    for key, value in example.items():
        if "CHANGE-ME" in value:
            assert value not in text, f"{key}'s value is in docker-compose.yml"
    assert "airflow:airflow@" not in text
    empty = tmp_path / "empty.env"
    empty.write_text("")
    done = compose_config(empty)
    assert done.returncode != 0
    assert "in .env" in done.stderr

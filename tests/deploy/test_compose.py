"""docker-compose.yml and the Dockerfile, checked without a Docker engine (none runs here)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest
import yaml

from tests.conftest import ROOT


def compose_command() -> list[str]:
    docker = shutil.which("docker")
    if (
        docker
        and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0
    ):
        return [docker, "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    pytest.fail("neither `docker compose` nor `docker-compose` is installed: run `make test`")


def compose_config(**env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k not in REQUIRED} | DEFAULTS | env
    return subprocess.run(
        [*compose_command(), "config"],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )


REQUIRED = ("FLOWER_BASIC_AUTH", "POSTGRES_PASSWORD")
DEFAULTS = {"POSTGRES_PASSWORD": "db-secret"}


@pytest.fixture(scope="module")
def config() -> dict:
    done = compose_config(FLOWER_BASIC_AUTH="ops:secret")
    assert done.returncode == 0, done.stderr
    return yaml.safe_load(done.stdout)


def test_the_stack_has_its_services(config):
    assert set(config["services"]) == {
        "redis", "postgres", "migrate", "api", "worker", "flower", "frontend",
    }  # fmt: skip


def test_postgres_keeps_the_records_and_the_stack_migrates_before_it_starts(config):
    services = config["services"]
    postgres = services["postgres"]
    assert postgres["image"].startswith("postgres:")
    assert any("/var/lib/postgresql/data" in str(volume) for volume in postgres["volumes"])
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    assert "ports" not in postgres
    migrate = services["migrate"]
    assert migrate["command"] == ["python", "-m", "core.records.migrate"]
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert migrate["restart"] == "no"
    for name in ("api", "worker", "flower", "migrate"):
        url = services[name]["environment"]["DATABASE_URL"]
        assert url == "postgresql+psycopg://invoice:db-secret@postgres:5432/invoice_agent"
    for name in ("api", "worker"):
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        assert depends["postgres"]["condition"] == "service_healthy"


def test_the_database_password_must_be_given():
    refused = compose_config(FLOWER_BASIC_AUTH="a:b", POSTGRES_PASSWORD="")
    assert refused.returncode != 0 and "POSTGRES_PASSWORD" in refused.stderr


def test_redis_keeps_data_and_refuses_to_evict(config):
    redis = config["services"]["redis"]
    command = " ".join(redis["command"])
    assert "--appendonly yes" in command and "--maxmemory-policy noeviction" in command
    assert redis["image"].startswith("redis:7")
    assert any("/data" in str(volume) for volume in redis["volumes"])
    assert "redis-cli" in " ".join(redis["healthcheck"]["test"])


def published(service: dict) -> set[int]:
    return {
        int(p["published"] if isinstance(p, dict) else str(p).split(":")[-2])
        for p in service.get("ports", [])
    }


def test_only_the_nginx_front_is_published_and_flower_stays_local(config):
    services = config["services"]
    assert "ports" not in services["api"]  # reached through nginx only
    assert published(services["frontend"]) == {8000}
    (flower_port,) = services["flower"]["ports"]
    if isinstance(flower_port, str):  # docker-compose v1 writes the short syntax back
        assert flower_port.startswith("127.0.0.1:5555:")
    else:
        assert flower_port["published"] in ("5555", 5555) and flower_port["host_ip"] == "127.0.0.1"
    assert services["api"]["environment"]["HOST"] == "0.0.0.0"
    assert "/api/health" in " ".join(services["api"]["healthcheck"]["test"])


def test_nginx_holds_slow_clients_and_buffers_requests():
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    for directive in (
        "client_header_timeout",
        "client_body_timeout",
        "proxy_request_buffering on",
        "proxy_read_timeout",
        "frame-ancestors 'none'",
        "X-Content-Type-Options nosniff",
    ):
        assert directive in conf


def test_api_worker_and_flower_share_one_image_and_redis(config):
    services = config["services"]
    assert len({services[name]["image"] for name in ("api", "worker", "flower")}) == 1
    for name in ("api", "worker", "flower"):
        assert services[name]["environment"]["REDIS_URL"] == "redis://redis:6379/0"
        assert "redis" in services[name]["depends_on"]
    assert "gevent" in services["worker"]["command"]
    assert "worker" in services["worker"]["command"] and "ports" not in services["worker"]


def test_flower_requires_basic_auth(config):
    assert config["services"]["flower"]["environment"]["FLOWER_BASIC_AUTH"] == "ops:secret"
    refused = compose_config()
    assert refused.returncode != 0 and "FLOWER_BASIC_AUTH" in refused.stderr


SECRETS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "API_KEYS")


def test_no_secret_is_baked_in():
    environ = {k: v for k, v in os.environ.items() if k not in SECRETS}
    done = subprocess.run(
        [*compose_command(), "config"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env=environ | DEFAULTS | {"FLOWER_BASIC_AUTH": "a:b"},
    )
    config = yaml.safe_load(done.stdout)
    for service in config["services"].values():
        for name in SECRETS:
            assert not (service.get("environment") or {}).get(name), f"{name} is baked in"


def test_dockerfile_is_multi_stage_and_runs_as_a_user():
    dockerfile = (ROOT / "Dockerfile").read_text()
    stages = re.findall(r"^FROM \S+ AS (\w+)", dockerfile, flags=re.M)
    assert {"ui", "wheels", "app", "frontend"} <= set(stages)
    app_stage = dockerfile.split("AS app", 1)[1].split("AS frontend", 1)[0]
    assert re.search(r"^USER (?!root)\w+", app_stage, flags=re.M)
    assert "playwright" not in dockerfile.lower()

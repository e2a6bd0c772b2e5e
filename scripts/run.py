"""`make run`: the API with the UI, the worker and Flower, kept running by supervisord.

A process that crashes is started again (supervisord logs "exited: worker (terminated by
SIGKILL; not expected)" and then "spawned: 'worker'"); the others keep serving meanwhile.
Everything listens on 127.0.0.1 unless HOST says otherwise. Flower always asks for a
password: FLOWER_BASIC_AUTH (user:password) when set, else one generated on the first run
and kept in .run/flower-password (readable by you only).
"""

from __future__ import annotations

import os
import secrets
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.settings import Settings  # noqa: E402

FLOWER_USER = "admin"


def flower_credentials(settings: Settings, run_dir: Path) -> tuple[str, str]:
    """(user:password, where a person finds the password)."""
    if settings.flower_basic_auth:
        return settings.flower_basic_auth, "FLOWER_BASIC_AUTH"
    password_file = run_dir / "flower-password"
    if not password_file.exists():
        password_file.touch(mode=0o600)
        password_file.write_text(secrets.token_urlsafe(18) + "\n")
    password_file.chmod(0o600)
    return f"{FLOWER_USER}:{password_file.read_text().strip()}", str(password_file)


def program(name: str, command: list[str], stop_seconds: int) -> str:
    return f"""
[program:{name}]
command={shlex.join(command)}
directory={ROOT}
autorestart=true
startsecs=3
startretries=100
stopasgroup=true
killasgroup=true
stopwaitsecs={stop_seconds}
redirect_stderr=true
stdout_logfile=/dev/stdout
stdout_logfile_maxbytes=0
"""


def commands(settings: Settings, python: str) -> dict[str, list[str]]:
    """What each process runs (the Kubernetes manifests run the same: a test compares)."""
    bin_dir = Path(python).parent
    return {
        "api": [str(bin_dir / "gunicorn"), "-c", "api/gunicorn.conf.py", "api:create_app()"],
        "worker": [
            python,
            "-m",
            "worker",
            "-A",
            "worker.app",
            "worker",
            "-P",
            "gevent",
            "--loglevel=INFO",
            "-Q",
            "interactive,batch",
        ],  # fmt: skip
        "flower": [
            str(bin_dir / "celery"),
            "-A",
            "worker.app",
            "flower",
            f"--address={settings.host}",
            f"--port={settings.flower_port}",
        ],  # fmt: skip
    }


def supervisord_conf(settings: Settings, python: str, run_dir: Path) -> str:
    stop_seconds = {
        "api": 40,
        "worker": max(30, settings.job_time_limit + 10),  # running turns finish
        "flower": 10,
    }
    programs = commands(settings, python)
    return f"""[supervisord]
nodaemon=true
; in the foreground supervisord logs to the terminal too: a log file would only repeat it
logfile=/dev/null
logfile_maxbytes=0
loglevel=info
pidfile={run_dir / "supervisord.pid"}
directory={ROOT}
""" + "".join(program(name, argv, stop_seconds[name]) for name, argv in programs.items())


def main() -> None:
    settings = Settings.from_env()
    run_dir = Path(settings.run_dir)
    run_dir.mkdir(mode=0o700, exist_ok=True)
    credentials, where = flower_credentials(settings, run_dir)
    # the records database gets its schema before anything serves (as the compose `migrate`
    # service and the Kubernetes Job do): exactly `python -m core.records.migrate`
    if subprocess.run([sys.executable, "-m", "core.records.migrate"], cwd=ROOT).returncode:
        sys.exit("the records database could not be migrated (see above); nothing was started")
    conf = run_dir / "supervisord.conf"
    conf.write_text(supervisord_conf(settings, sys.executable, run_dir))
    shown_host = "localhost" if settings.host in ("127.0.0.1", "0.0.0.0") else settings.host
    print(
        f"Invoice Agent on http://{shown_host}:{settings.port} (API docs at /docs)\n"
        f"Flower on http://{shown_host}:{settings.flower_port}, user "
        f"{credentials.partition(':')[0]!r}, password in {where}\n"
        "Crashed processes are restarted; Ctrl-C stops everything.",
        flush=True,
    )
    env = {**os.environ, "FLOWER_BASIC_AUTH": credentials}
    supervisord = str(Path(sys.executable).parent / "supervisord")
    os.execve(supervisord, [supervisord, "-n", "-c", str(conf)], env)  # noqa: S606 - our own


if __name__ == "__main__":
    main()

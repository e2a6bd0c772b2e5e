"""A Redis primary, a replica and three Sentinels on free ports of 127.0.0.1, for tests that
need failover. Nothing here touches a developer's Redis."""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from pathlib import Path

import redis

from tests.conftest import free_port, wait_until

MASTER = "invoicemaster"


class RedisProcess:
    def __init__(self, workdir: Path, name: str, *args: str, port: int | None = None):
        self.port = port or free_port()
        self.workdir = workdir / name
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.args = args
        self.process: subprocess.Popen | None = None

    def start(self) -> RedisProcess:
        binary = shutil.which("redis-server")
        self.process = subprocess.Popen(
            [binary, *self.args, "--port", str(self.port), "--bind", "127.0.0.1",
             "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        wait_until(lambda: _pings(client), timeout=30, message=f"redis on {self.port}")
        return self

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def pause(self) -> None:
        """Stop the process where it is (SIGSTOP): it answers nothing until `resume`."""
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.process.send_signal(signal.SIGCONT)

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, decode_responses=True, socket_timeout=2)


class SentinelCluster:
    """primary + replica + 3 Sentinels; `url` is the redis+sentinel:// URL of the product."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.primary = RedisProcess(workdir, "primary", "--save", "", "--appendonly", "no")
        self.replica: RedisProcess | None = None
        self.sentinels: list[RedisProcess] = []
        self.rejoined = 0

    @property
    def url(self) -> str:
        hosts = ",".join(f"127.0.0.1:{s.port}" for s in self.sentinels)
        return f"redis+sentinel://{hosts}/{MASTER}/0"

    def start(self) -> SentinelCluster:
        self.primary.start()
        self.replica = RedisProcess(
            self.workdir, "replica", "--save", "", "--appendonly", "no",
            "--replicaof", "127.0.0.1", str(self.primary.port),
        ).start()  # fmt: skip
        for n in range(3):
            port = free_port()
            conf = self.workdir / f"sentinel-{n}.conf"
            conf.write_text(
                f"port {port}\nbind 127.0.0.1\n"
                f"sentinel monitor {MASTER} 127.0.0.1 {self.primary.port} 2\n"
                f"sentinel down-after-milliseconds {MASTER} 1000\n"
                f"sentinel failover-timeout {MASTER} 5000\n"
                f"sentinel parallel-syncs {MASTER} 1\n"
            )
            sentinel = RedisProcess(self.workdir, f"s{n}", str(conf), "--sentinel", port=port)
            self.sentinels.append(sentinel.start())
        wait_until(self._replica_in_sync, timeout=30, message="the replica to sync")
        wait_until(
            lambda: all(self._sees_replica(s) for s in self.sentinels),
            timeout=30,
            message="the sentinels to see the replica",
        )
        return self

    def _replica_in_sync(self) -> bool:
        info = self.replica.client().info("replication")
        return info.get("master_link_status") == "up"

    def _sees_replica(self, sentinel: RedisProcess) -> bool:
        try:
            return bool(sentinel.client().sentinel_slaves(MASTER))
        except redis.RedisError:
            return False

    def master_port(self) -> int:
        host, port = self.sentinels[0].client().sentinel_get_master_addr_by_name(MASTER)
        return int(port)

    def fail_over(self) -> float:
        """Kill the primary; seconds until the Sentinels name the replica the new primary."""
        killed = time.monotonic()
        self.primary.kill()
        wait_until(
            lambda: self.master_port() == self.replica.port, timeout=60, message="a failover"
        )
        return time.monotonic() - killed

    def rejoin(self) -> None:
        """After `fail_over`: start the old primary again as a replica of the new one (as an
        operator or an orchestrator would), so another failover can follow."""
        old, new = self.primary, self.replica
        self.rejoined += 1
        back = RedisProcess(
            self.workdir, f"rejoined-{self.rejoined}", "--save", "", "--appendonly", "no",
            "--replicaof", "127.0.0.1", str(new.port), port=old.port,
        ).start()  # fmt: skip
        self.primary, self.replica = new, back
        wait_until(self._replica_in_sync, timeout=60, message="the old primary to sync")
        wait_until(
            lambda: all(self._sees_healthy_replica(s) for s in self.sentinels),
            timeout=60,
            message="the sentinels to see the rejoined replica",
        )

    def _sees_healthy_replica(self, sentinel: RedisProcess) -> bool:
        try:
            replicas = sentinel.client().sentinel_slaves(MASTER)
        except redis.RedisError:
            return False
        return any(
            int(r["port"]) == self.replica.port and not r.get("is_sdown")
            and not r.get("is_disconnected") and r.get("master-link-status") == "ok"
            for r in replicas
        )  # fmt: skip

    def stop(self) -> None:
        for process in (*self.sentinels, self.replica, self.primary):
            if process is not None:
                process.kill()


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False

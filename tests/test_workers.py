"""Several workers against one PostgreSQL and one SeaweedFS: each worker is a process of its own
over a shard range, driven by its own simulated Discord (tests/worker_process.py), with a local
cache of its own, as on another machine.

One story, in order: a server on worker A's shards adds a document and A answers from it, while
worker B never sees that server; A stops and B takes every shard: it answers the same question
from the same document, and the server's feedback and gaps are still there; B is killed with
SIGKILL in the middle of a build: the next owner serves the last complete build and its next
build succeeds; then the object store and the database go away: clear errors in the log and on
Discord, no traceback, and questions are still answered from the local cache.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg
import pytest

from tests.conftest import REPO
from tests.services import postgres, seaweedfs

ALPHA = """# Alpha Club Rules

The alpha club meets every Tuesday evening in the old boathouse by the river.

New members pay a fee of twelve euros per year to the club treasurer.
"""
ALPHA_Q = "Where does the alpha club meet?"
GAP_Q = "Who is the president of the rowing federation?"
# Worker A holds shards 0-1 of 4; the server's id puts it on shard 1, B's range is 2-3.
SERVER = 5 << 22
BIG_Q = "Which quay did barge 7 unload its crates at?"


def big_document() -> str:
    """A document of a few hundred chunks: its build takes long enough to be killed in."""
    paragraphs = [
        f"Logbook entry {i}. The barge {i} carried {i * 3 + 5} crates of timber to the quay"
        f" number {i % 9}, where the harbour master {i % 13} counted them twice."
        for i in range(1, 400)
    ]
    paragraphs.append("The barge 7 unloaded its crates at the eastern grain quay.")
    return "Harbour Logbook\n\n" + "\n\n".join(paragraphs) + "\n"


class Worker:
    def __init__(self, shards: str, env: dict[str, str], log: Path) -> None:
        self.log = log
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.worker_process",
                "--shards",
                shards,
                "--shard-count",
                "4",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log.open("ab"),
            env=env,
            cwd=REPO,
            text=True,
        )

    def ready(self) -> None:
        assert json.loads(self._line()) == {"ready": True}, self.log.read_text()[-3000:]

    def send(self, do: str, **options) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"do": do, **options}) + "\n")
        self.process.stdin.flush()

    def call(self, do: str, **options) -> dict:
        self.send(do, **options)
        return json.loads(self._line())

    def _line(self) -> str:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line, f"the worker exited: {self.log.read_text()[-3000:]}"
        return line

    def stop(self) -> None:
        if self.process.poll() is None:
            self.send("quit")
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()


@pytest.fixture
def services():
    with postgres() as database, seaweedfs() as store:
        yield database, store


def worker_env(tmp_path: Path, label: str, database, store, prefix: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QABOT_", "AWS_"))}
    return (
        env
        | store.env(prefix=prefix)
        | {
            "QABOT_DATABASE_URL": database.url,
            "QABOT_DATA_DIR": str(tmp_path / label),
            "HF_HUB_OFFLINE": "1",
            "PYTHONPATH": str(REPO),
            "DISCORD_TOKEN": "",
        }
    )


def wait_for_document(url: str, name: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with psycopg.connect(url) as db:
            if db.execute("SELECT 1 FROM documents WHERE stored = %s", (name,)).fetchone():
                return
        time.sleep(0.1)
    raise AssertionError(f"{name} never reached the registry")


def test_workers_share_documents_feedback_and_builds_across_shards(tmp_path, services) -> None:
    database, store = services
    prefix = f"w-{uuid.uuid4().hex[:8]}"
    a = Worker("0-1", worker_env(tmp_path, "a", database, store, prefix), tmp_path / "a.log")
    b = Worker("2-3", worker_env(tmp_path, "b", database, store, prefix), tmp_path / "b.log")
    workers = [a, b]
    try:
        a.ready()
        b.ready()
        for worker in (a, b):  # the same server exists in each simulated Discord
            worker.call("server", id=SERVER)
        assert a.call("sees") == {"sees": True} and b.call("sees") == {"sees": False}

        added = a.call("add", file="alpha.md", text=ALPHA)
        assert "Added" in added["reply"] and "Index rebuilt" in added["channel"]
        assert "old boathouse" in a.call("ask", question=ALPHA_Q)["reply"]
        assert "Thanks" in a.call("vote", action="up")["reply"]
        assert "don't answer" in a.call("ask", question=GAP_Q)["reply"]
        assert b.call("ask", question=ALPHA_Q) == {"reply": None}  # never reaches worker B

        # Re-shard: A stops, and B's machine runs a worker over every shard.
        a.stop()
        b.stop()
        b = Worker("0-3", worker_env(tmp_path, "b", database, store, prefix), tmp_path / "b2.log")
        workers.append(b)
        b.ready()
        b.call("server", id=SERVER)
        assert "old boathouse" in b.call("ask", question=ALPHA_Q)["reply"]
        votes = b.call("slash", command="feedback")["embeds"][0]
        assert "👍" in votes and "1" in votes, votes
        gaps = "\n".join(b.call("slash", command="gaps")["embeds"])
        assert GAP_Q in gaps

        # kill -9 in the middle of a build.
        b.send("add", file="logbook.txt", text=big_document())
        wait_for_document(database.url, "logbook.txt")
        time.sleep(1.0)  # the build has begun: the document was stored before it
        b.kill()
        c = Worker("0-3", worker_env(tmp_path, "c", database, store, prefix), tmp_path / "c.log")
        workers.append(c)
        c.ready()
        c.call("server", id=SERVER)
        assert "old boathouse" in c.call("ask", question=ALPHA_Q)["reply"]  # last complete build
        assert "eastern grain quay" not in c.call("ask", question=BIG_Q)["reply"]
        c.call("slash", command="reindex")  # the lock the killed worker held is free again
        assert "eastern grain quay" in c.call("ask", question=BIG_Q)["reply"]

        # The object store goes away: a change fails clearly; questions go on from the cache.
        store.stop()
        refused = c.call("add", file="beta.md", text="# Beta\n\nThe beta guild meets on Fridays.\n")
        assert "document storage" in refused["reply"] + (refused["channel"] or "")
        assert "old boathouse" in c.call("ask", question=ALPHA_Q)["reply"]
        # The database goes away too: questions are still answered, without buttons.
        database.stop()
        answered = c.call("ask", question=ALPHA_Q)
        assert "old boathouse" in answered["reply"] and not answered["buttons"]
        down = c.call("slash", command="feedback")["reply"]
        assert "can't reach my database" in down
        c.stop()
        log = (tmp_path / "c.log").read_text()
        assert "can't be reached" in log and "Traceback" not in log
    finally:
        for worker in workers:
            if worker.process.poll() is None:
                worker.kill()

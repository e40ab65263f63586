"""`qabot run` and `qabot demo`: one clear line on a bad token, never the token itself."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import discord
import pytest

from bot.runner import NO_TOKEN, REJECTED, run_bot

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.Gabcde.not-a-real-token-but-secret"
REPO = Path(__file__).resolve().parents[2]


class Unauthorized(BaseHTTPRequestHandler):
    """Answers like Discord does to a bad token: 401 for every request."""

    def do_GET(self) -> None:  # noqa: N802 (the http.server API)
        body = json.dumps({"message": "401: Unauthorized", "code": 0}).encode()
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def discord_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Unauthorized)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setattr(
        discord.http.Route, "BASE", f"http://127.0.0.1:{server.server_port}/api/v10"
    )
    yield server.server_address[0]
    server.shutdown()


def test_a_missing_token_gives_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_bot() == 2
    out, err = capsys.readouterr()
    assert out == "" and err == f"qabot: {NO_TOKEN}\n"


def test_a_token_in_dotenv_is_used(
    tmp_path: Path, discord_api: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / ".env").write_text(f"DISCORD_TOKEN={TOKEN}\n")
    assert run_bot() == 2
    assert capsys.readouterr().err == f"qabot: {REJECTED}\n"  # it was sent, and rejected


def test_a_rejected_token_gives_one_line_exit_2_and_is_never_shown(
    monkeypatch: pytest.MonkeyPatch,
    discord_api: str,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
    caplog.set_level("DEBUG")
    assert run_bot() == 2
    out, err = capsys.readouterr()
    assert err == f"qabot: {REJECTED}\n"
    for shown in (out, err, caplog.text):
        assert TOKEN not in shown and "not-a-real-token" not in shown


def test_demo_serves_the_preview_on_localhost_until_ctrl_c(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "note.txt").write_text("A Note\n\nThe ferry leaves every 40 minutes.\n")
    env = {**os.environ, "QABOT_CORPUS_DIR": str(corpus), "QABOT_INDEX_DIR": str(tmp_path / "ix")}
    env.pop("DISCORD_TOKEN", None)
    code = "import sys; from bot.demo import run_demo; sys.exit(run_demo())"
    demo = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        url = next(line.strip() for line in demo.stdout if line.strip().startswith("http"))
        assert url.startswith("http://127.0.0.1:") and "#" in url
        with urllib.request.urlopen(url.split("#")[0], timeout=10) as page:
            assert page.status == 200 and "SimCord Preview" in page.read().decode()
        demo.send_signal(signal.SIGINT)
        rest, _ = demo.communicate(timeout=30)
    finally:
        demo.kill()
    assert demo.returncode == 0
    assert "preview stopped" in rest

"""`--collection` on index build|status and ask, and `qabot docs add|remove|list|refresh`."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bot.cli import main

ALPHA = (
    "Alpha Club Rules\n\nThe alpha club meets every Tuesday in the old boathouse by the river.\n"
)
BETA = (
    "Beta Guild Handbook\n\nThe beta guild keeps its telescope in the north tower of the castle.\n"
)
PAGE = {"body": "Ferry Notes\n\nThe ferry to the island leaves at seven every morning.\n"}


@pytest.fixture(autouse=True)
def shared_model(served_models):
    """The session's models, through the one seam the CLI loads them by."""


@pytest.fixture(autouse=True)
def data_dir(monkeypatch, tmp_path: Path) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("QABOT_CORPUS_DIR", "QABOT_INDEX_DIR", "QABOT_FETCH_ALLOW"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("QABOT_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


class _Pages(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        body = PAGE["body"].encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def page_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/ferry.txt"
    server.shutdown()


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_each_collection_answers_from_its_own_documents(capsys, tmp_path: Path) -> None:
    (tmp_path / "alpha.txt").write_text(ALPHA)
    (tmp_path / "beta.txt").write_text(BETA)
    assert run(capsys, "docs", "add", "alpha.txt", "--collection", "guild/1")[0] == 0
    code, out, _ = run(capsys, "docs", "add", "beta.txt", "--collection", "guild/2")
    assert code == 0 and "added beta.txt as beta.txt" in out
    assert (tmp_path / "data/guilds/2/corpus/beta.txt").exists()

    question = "Where does the alpha club meet?"
    code, out, _ = run(capsys, "ask", "--json", "--collection", "guild/1", question)
    assert json.loads(out)["citations"][0]["doc"] == "alpha.txt"
    code, out, _ = run(capsys, "ask", "--json", "--collection", "guild/2", question)
    answer = json.loads(out)
    assert {c["doc"] for c in answer["citations"] + answer["related"]} == {"beta.txt"}

    code, out, _ = run(capsys, "index", "status", "--json", "--collection", "guild/2")
    assert json.loads(out)["documents"] == 1
    code, out, _ = run(capsys, "docs", "list", "--collection", "guild/1")
    assert out.split() == ["alpha.txt"]


def test_without_collection_the_default_corpus_is_used(capsys, tmp_path: Path) -> None:
    (tmp_path / "docs_corpus").mkdir()
    (tmp_path / "docs_corpus" / "alpha.txt").write_text(ALPHA)
    code, out, _ = run(capsys, "index", "build", "--json")
    assert code == 0 and json.loads(out)["added"] == ["alpha.txt"]
    assert (tmp_path / ".qabot/index").is_dir()
    code, out, _ = run(capsys, "docs", "list")
    assert out.split() == ["alpha.txt"]


def test_remove_rebuilds_and_an_emptied_collection_says_so(capsys, tmp_path: Path) -> None:
    (tmp_path / "alpha.txt").write_text(ALPHA)
    run(capsys, "docs", "add", "alpha.txt", "--collection", "club")
    code, out, _ = run(capsys, "docs", "remove", "alpha.txt", "--collection", "club")
    assert code == 0 and "now empty" in out
    code, _, err = run(capsys, "ask", "--collection", "club", "Where does the club meet?")
    assert code == 1 and "no usable" in err


def test_bad_input_is_one_line_and_leaves_nothing(capsys, tmp_path: Path) -> None:
    (tmp_path / "tool.pdf").write_bytes(b"\x7fELF" + b"\x00" * 64)
    code, _, err = run(capsys, "docs", "add", "tool.pdf", "--collection", "guild/1")
    assert code == 1 and err.startswith("qabot: error:") and "named .pdf" in err
    assert not (tmp_path / "data/guilds/1/corpus/tool.pdf").exists()
    code, _, err = run(capsys, "docs", "list", "--collection", "../../etc")
    assert code == 1 and "is no collection" in err


def test_a_url_is_refused_on_loopback_unless_allow_listed(
    capsys, monkeypatch, page_server: str
) -> None:
    code, _, err = run(capsys, "docs", "add", page_server, "--collection", "guild/1")
    assert code == 1 and "loopback" in err
    monkeypatch.setenv("QABOT_FETCH_ALLOW", "127.0.0.1")
    code, out, _ = run(capsys, "docs", "add", page_server, "--collection", "guild/1")
    assert code == 0, out
    code, out, _ = run(
        capsys, "ask", "--json", "--collection", "guild/1", "When does the ferry leave?"
    )
    answer = json.loads(out)
    assert (answer["citations"] + answer["related"])[0]["meta"]["url"] == page_server
    code, out, _ = run(capsys, "docs", "refresh", "--collection", "guild/1")
    assert "0 changed, 1 unchanged" in out
    PAGE["body"] += "A second ferry leaves at noon.\n"
    code, out, _ = run(capsys, "docs", "refresh", "--collection", "guild/1")
    assert "1 changed, 0 unchanged" in out and "changed" in out


def test_the_data_folder_and_fetch_allow_list_in_dotenv_reach_docs_and_collection(
    capsys, monkeypatch, tmp_path: Path, page_server: str
) -> None:
    """`.env` is read by the same reader as the environment, for every command."""
    monkeypatch.delenv("QABOT_DATA_DIR")
    (tmp_path / ".env").write_text("QABOT_DATA_DIR=kept\nQABOT_FETCH_ALLOW=127.0.0.1\n")
    (tmp_path / "alpha.txt").write_text(ALPHA)
    code, _, err = run(capsys, "docs", "add", "alpha.txt", "--collection", "guild/7")
    assert code == 0, err
    assert (tmp_path / "kept/guilds/7/corpus/alpha.txt").exists()
    code, out, _ = run(capsys, "docs", "add", page_server, "--collection", "guild/7")
    assert code == 0, out
    question = "Where does the alpha club meet?"
    code, out, err = run(capsys, "ask", "--json", "--collection", "guild/7", question)
    assert code == 0, err
    assert json.loads(out)["citations"][0]["doc"] == "alpha.txt"
    code, out, _ = run(capsys, "index", "status", "--json", "--collection", "guild/7")
    assert json.loads(out)["documents"] == 2

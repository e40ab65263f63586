"""The `qabot` command line, run in-process against a real index of the article."""

from __future__ import annotations

import io
import json
import os
import shutil
from pathlib import Path

import pytest

from bot.cli import main
from tests.conftest import ARTICLE, DEV_SET


@pytest.fixture(scope="module")
def paths(tmp_path_factory, article_engine):
    """The session's article index, reused read-only by the CLI through its flags."""
    settings = article_engine.settings
    return ["--corpus", str(settings.corpus_dir), "--index", str(settings.index_dir)]


@pytest.fixture(autouse=True)
def shared_model(served_models):
    """The CLI would load and export the model itself; it gets the session's models instead, to
    keep the suite fast (tests/test_onnx_embed.py tests the export)."""


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_ask_json_has_the_documented_shape(capsys, paths):
    code, out, _ = run(capsys, "ask", *paths, "--json", "What did Nastasyin say Moscow would do?")
    assert code == 0
    answer = json.loads(out)
    assert list(answer) == [
        "question",
        "answered",
        "answer",
        "citations",
        "related",
        "took_ms",
        "confidence",
        "closest",
    ]
    citation = answer["citations"][0]
    assert list(citation) == [
        "n",
        "doc",
        "title",
        "meta",
        "paragraph",
        "chunk_id",
        "passage",
        "quote",
        "start",
        "end",
        "sources",
        "score",
        "page",
        "page_label",
        "section",
        "url",
        "quote_url",
    ]
    assert "adequate measures" in answer["answer"]
    assert {"name": "Vedomosti", "date": "July 31"} in citation["sources"]


def test_ask_prints_a_readable_answer(capsys, paths):
    code, out, _ = run(capsys, "ask", *paths, "When did Putin annex Crimea?")
    assert code == 0
    assert "2014" in out and "[1]" in out and "¶" in out


def test_ask_reads_one_question_per_line_from_stdin(capsys, paths, monkeypatch):
    monkeypatch.setattr(
        "sys.stdin", io.StringIO("Who is the Kremlin spokesperson?\n\nWhat is borscht?\n")
    )
    code, out, _ = run(capsys, "ask", *paths, "--json", "-")
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(lines) == 2
    assert lines[0]["answered"] and "Peskov" in lines[0]["answer"]
    assert not lines[1]["answered"]


@pytest.mark.parametrize(("question", "message"), [("", "empty"), ("x" * 1001, "limit is 1000")])
def test_bad_questions_are_usage_errors(capsys, paths, question, message):
    code, _, err = run(capsys, "ask", *paths, question)
    assert code == 2 and message in err and "Traceback" not in err


def test_build_json_reports_an_incremental_build(capsys, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(ARTICLE, corpus)
    (corpus / "notes.md").write_text("# Notes\n\nThe mill burned down in 1911.")
    (corpus / "bad.txt").write_bytes(b"\xff\xfe\x00bad")
    args = ["index", "build", "--corpus", str(corpus), "--index", str(tmp_path / "index"), "--json"]

    code, out, err = run(capsys, *args)
    first = json.loads(out)
    assert code == 0 and first["added"] == [ARTICLE.name, "notes.md"] and first["embedded"] == 14
    assert set(first) >= {
        "added",
        "changed",
        "removed",
        "unchanged",
        "chunks",
        "embedded",
        "seconds",
    }
    assert "skipped bad.txt" in err

    (corpus / "notes.md").write_text("# Notes\n\nThe mill burned down in 1912.")
    second = json.loads(run(capsys, *args)[1])
    assert second["changed"] == ["notes.md"] and second["unchanged"] == [ARTICLE.name]
    assert second["embedded"] == 1


def one_file_corpus(tmp_path) -> tuple:
    """A corpus of one small file, and the flags that point the CLI at it and its index."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("A\n\nOne sentence.")
    return corpus, ["--corpus", str(corpus), "--index", str(tmp_path / "index")]


def test_status_lists_files_changed_since_the_build(capsys, tmp_path):
    corpus, index = one_file_corpus(tmp_path)
    run(capsys, "index", "build", *index)
    (corpus / "b.txt").write_text("B\n\nAnother sentence.")
    code, out, _ = run(capsys, "index", "status", *index)
    assert code == 0 and "documents: 1" in out and "b.txt" in out


def test_corrupt_index_gives_a_clear_error(capsys, tmp_path):
    _, index = one_file_corpus(tmp_path)
    run(capsys, "index", "build", *index)
    next((tmp_path / "index").glob("build-*/vectors.faiss")).write_bytes(b"junk")
    code, _, err = run(capsys, "ask", *index, "What is here?")
    assert code == 1 and "qabot index build" in err and "Traceback" not in err
    assert run(capsys, "index", "build", *index)[0] == 0  # the advice works
    assert run(capsys, "ask", *index, "What is here?")[0] == 0


def test_missing_corpus_folder_is_a_clear_error(capsys, tmp_path):
    code, _, err = run(
        capsys,
        "index",
        "build",
        "--corpus",
        str(tmp_path / "nope"),
        "--index",
        str(tmp_path / "index"),
    )
    assert code == 1 and "does not exist" in err


def test_eval_prints_every_measure(capsys, paths):
    code, out, _ = run(capsys, "eval", *paths, "--json", str(DEV_SET))
    scores = json.loads(out)
    assert code == 0 and scores["questions"] == 21
    for key in ("cite_at_1", "cite_at_3", "answer", "sources", "abstain", "answer_rate"):
        assert 0.0 <= scores[key] <= 1.0
    assert scores["cite_at_1"] >= 0.7 and scores["abstain"] >= 0.8


def test_eval_beir_scores_and_writes_a_trec_run(capsys, tmp_path):
    beir = tmp_path / "beir"
    beir.mkdir()
    docs = [
        ("d1", "Insulin", "Insulin lowers blood glucose in diabetic patients."),
        ("d2", "Vitamin D", "Vitamin D deficiency is linked to bone loss."),
        ("d3", "Sleep", "Poor sleep raises the risk of heart disease."),
    ]
    (beir / "corpus.jsonl").write_text(
        "\n".join(json.dumps({"_id": i, "title": t, "text": x}) for i, t, x in docs)
    )
    (beir / "queries.jsonl").write_text(
        json.dumps({"_id": "q1", "text": "insulin and blood sugar"})
        + "\n"
        + json.dumps({"_id": "q2", "text": "bone loss from low vitamin D"})
    )
    (beir / "qrels.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t1\n")
    run_file = tmp_path / "run.trec"

    code, out, _ = run(
        capsys,
        "eval",
        "--beir",
        str(beir),
        "--index",
        str(tmp_path / "bi"),
        "--run",
        str(run_file),
        "--json",
    )

    scores = json.loads(out)
    assert code == 0 and scores["queries"] == 2 and scores["ndcg_at_10"] == 1.0
    first = run_file.read_text().splitlines()[0].split()
    assert first[:4] == ["q1", "Q0", "d1", "1"] and first[5] == "qabot"


def test_a_bad_setting_is_a_clear_error(capsys, paths, monkeypatch):
    monkeypatch.setenv("QABOT_K", "many")
    code, _, err = run(capsys, "ask", *paths, "Who is the Kremlin spokesperson?")
    assert code == 1 and "QABOT_K must be a whole number" in err


def test_a_question_from_the_shell_prints_the_answer_and_nothing_else(paths):
    """In a fresh process, as users run it: no progress bars or warnings around the answer."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "PYTHONWARNINGS"}
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "ask", *paths, "When did Putin annex Crimea?"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "2014" in done.stdout
    assert done.stderr == ""


def test_a_reader_that_goes_away_gets_no_traceback(paths, tmp_path):
    """`qabot ask --json - | head -1`: the pipe closes while answers are still being written."""
    import subprocess
    import sys

    questions = tmp_path / "questions.txt"
    questions.write_text("\n".join(["Who is the Kremlin spokesperson?"] * 200) + "\n")
    reader, writer = os.pipe()
    with (
        questions.open("rb") as stdin,
        subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "ask", *paths, "--json", "-"],
            stdin=stdin,
            stdout=writer,
            stderr=subprocess.PIPE,
        ) as child,
    ):
        os.close(writer)
        with os.fdopen(reader, "rb") as pipe:
            assert pipe.readline()  # the first answer, then the reader goes away
        _, err = child.communicate(timeout=120)
    assert child.returncode == 141
    assert b"Traceback" not in err and b"BrokenPipe" not in err


def test_eval_scores_a_squad_style_set_with_its_corpus_beside_it(capsys, tmp_path):
    sample = tmp_path / "squad"
    shutil.copytree(Path(__file__).parent / "data" / "squad_sample", sample)
    args = ("eval", "--index", str(tmp_path / "index"), "--json")
    code, out, _ = run(capsys, *args, str(sample / "questions.jsonl"))
    scores = json.loads(out)
    assert code == 0 and scores["questions"] == 58 and scores["answerable"] == 30
    for key in ("locate_at_1", "answer", "answer_rate", "abstain", "accuracy"):
        assert 0.0 <= scores[key] <= 1.0
    assert scores["locate_at_1"] >= 0.8  # retrieval finds the paragraph
    assert scores["answer"] > 0.3 and scores["abstain"] > 0.3  # neither always nor never


def test_eval_of_a_squad_style_set_without_a_corpus_is_a_clear_error(capsys, tmp_path):
    (tmp_path / "q.jsonl").write_text(
        '{"question": "Who?", "answerable": false, "answers": [], "doc": "a.txt"}\n'
    )
    code, _, err = run(capsys, "eval", str(tmp_path / "q.jsonl"))
    assert code == 1 and "give --corpus DIR" in err and "Traceback" not in err


def test_eval_of_several_sets_prints_one_table_with_the_same_measures(
    capsys, paths, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)  # the sample's own index goes beside ./.qabot/index
    sample = tmp_path / "squad_sample"
    shutil.copytree(Path(__file__).parent / "data" / "squad_sample", sample)
    files = (str(DEV_SET), str(sample / "questions.jsonl"))
    code, out, _ = run(capsys, "eval", *paths, "--json", *files)
    article, squad = json.loads(out)
    assert code == 0 and (article["name"], squad["name"]) == ("seed_dev", "squad_sample")
    assert squad["questions"] == 58 and squad["answerable"] == 30
    for row in (article, squad):
        assert row["answer"] <= row["answer_rate"]
        assert 0.0 < row["answered_when_located"] <= 1.0
    # The single-set command scores the sample alike (its own index beside the configured one).
    code, out, _ = run(capsys, "eval", "--json", files[1])
    single = json.loads(out)
    assert {key: single[key] for key in ("locate_at_1", "answer", "abstain")} == {
        key: squad[key] for key in ("locate_at_1", "answer", "abstain")
    }
    code, out, _ = run(capsys, "eval", *paths, *files)
    header, *rows = out.splitlines()
    assert header.split()[:3] == ["set", "questions", "locate@1"]
    assert "answered when located" in header
    assert [row.split()[0] for row in rows] == ["seed_dev", "squad_sample"]

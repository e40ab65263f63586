"""`qabot`: build and inspect the index, ask questions, evaluate, and run the Discord bot."""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict

from bot.arguments import add_paths, engine_settings
from index.errors import QabotError, QuestionError
from index.settings import EngineSettings


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        return args.handler(args)
    except QuestionError as error:
        print(f"qabot: error: {error}", file=sys.stderr)
        return 2
    except QabotError as error:
        print(f"qabot: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`qabot ask ... | head`): stop quietly, as other commands do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="qabot", description=__doc__)
    commands = parser.add_subparsers(metavar="COMMAND")

    index = commands.add_parser("index", help="build or inspect the index").add_subparsers(
        metavar="ACTION"
    )
    build = index.add_parser("build", help="build or update the index from the corpus folder")
    add_paths(build)
    build.add_argument("--json", action="store_true", help="print one JSON object")
    build.set_defaults(handler=_build)
    status = index.add_parser("status", help="what the index holds and what changed since")
    add_paths(status)
    status.add_argument("--json", action="store_true")
    status.set_defaults(handler=_status)

    ask = commands.add_parser("ask", help="answer one question (or one per stdin line with -)")
    add_paths(ask)
    ask.add_argument("--json", action="store_true", help="print one JSON object per question")
    ask.add_argument("question", help='the question, or "-" to read one per line from stdin')
    ask.set_defaults(handler=_ask)

    show = commands.add_parser(
        "show", help="print a document's text as indexed, exactly (what citations point into)"
    )
    add_paths(show)
    show.add_argument("doc", help="the document: a citation's `doc`")
    show.set_defaults(handler=_show)

    chat = commands.add_parser("chat", help="ask questions interactively (Ctrl-D quits)")
    add_paths(chat)
    chat.set_defaults(handler=_chat)

    from bot.eval_cli import add_eval_command

    add_eval_command(commands, add_paths)

    from bot.docs_cli import add_docs_commands

    add_docs_commands(commands, add_paths)

    run = commands.add_parser("run", help="run the Discord bot (needs DISCORD_TOKEN)")
    run.add_argument(
        "--shards",
        metavar="IDS",
        help="serve only these shards, e.g. 0-3 (QABOT_SHARDS); needs --shard-count",
    )
    run.add_argument(
        "--shard-count",
        type=int,
        metavar="N",
        help="how many shards the bot has in all, e.g. 16 (QABOT_SHARD_COUNT)",
    )
    run.set_defaults(handler=_run)
    demo = commands.add_parser(
        "demo", help="run the bot in a local simulated Discord, no token needed"
    )
    demo.set_defaults(handler=lambda args: _bot("demo", "run_demo"))
    return parser


def _open(args: argparse.Namespace, settings: EngineSettings | None = None):
    from index.engine import Engine  # heavy imports (torch) only for commands that need them

    return Engine.open(settings or engine_settings(args))


def _build(args: argparse.Namespace) -> int:
    from index import runtime
    from index.build.rebuild import rebuild

    settings = engine_settings(args, progress=sys.stderr.isatty() and not args.json)
    models = runtime.load_models(settings)
    models.build_embedder().progress = settings.progress
    # The exports let questions skip torch; each warns in one line when it can't be written.
    report, index = rebuild(settings, models)
    index.close()
    for warning in report.skipped:
        print(f"warning: {warning}", file=sys.stderr)
    if args.json:
        keys = ("added", "changed", "removed", "unchanged", "chunks", "embedded", "seconds")
        data = asdict(report)
        print(json.dumps({key: data[key] for key in keys} | {"skipped": data["skipped"]}))
    else:
        from bot.terminal import format_build

        print(f"indexed {settings.corpus_dir} into {settings.index_dir}")
        print(format_build(report))
    return 0


def _status(args: argparse.Namespace) -> int:
    from bot.terminal import format_status

    settings = engine_settings(args)
    engine = _open(args, settings)
    status = engine.status()
    print(json.dumps(asdict(status)) if args.json else format_status(status))
    return 0


def _ask(args: argparse.Namespace) -> int:
    from bot.terminal import format_answer
    from index.engine import check_question

    if args.question != "-":
        check_question(args.question)  # a usage error before the model loads
    engine = _open(args)
    if args.question != "-":
        answer = engine.answer(args.question)
        print(
            json.dumps(asdict(answer), ensure_ascii=False) if args.json else format_answer(answer)
        )
        return 0
    failed = 0
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            answer = engine.answer(line)
        except QuestionError as error:
            failed = 1
            print(
                json.dumps({"question": line.strip()[:80], "error": str(error)})
                if args.json
                else f"error: {error}"
            )
            continue
        print(
            json.dumps(asdict(answer), ensure_ascii=False)
            if args.json
            else format_answer(answer) + "\n",
            flush=True,
        )
    return failed


def _show(args: argparse.Namespace) -> int:
    """The document's text, UTF-8 with nothing added: passage == text[start:end] holds on it."""
    from index.engine import document_text

    text = document_text(engine_settings(args).index_dir, args.doc)
    if text is None:
        raise QabotError(f"no document {args.doc!r} in the index (see `qabot index status`)")
    sys.stdout.flush()
    sys.stdout.buffer.write(text.encode("utf-8"))
    sys.stdout.buffer.flush()
    return 0


def _chat(args: argparse.Namespace) -> int:
    from bot.terminal import format_answer

    engine = _open(args)
    print("Ask a question about the documents (Ctrl-D to quit).")
    while True:
        try:
            question = input("? ")
        except EOFError:
            print()
            return 0
        if not question.strip():
            continue
        try:
            print(format_answer(engine.answer(question)) + "\n")
        except QuestionError as error:
            print(f"error: {error}")


def _run(args: argparse.Namespace) -> int:
    from bot.runner import run_bot

    return run_bot(shards=args.shards, shard_count=args.shard_count)


def _bot(module: str, function: str) -> int:
    import importlib

    return getattr(importlib.import_module(f"bot.{module}"), function)()


if __name__ == "__main__":
    sys.exit(main())

"""Fine-tune the reader (index.query.reader) on SQuAD-style sets:
`python -m index.training.reader_train DIR [--also DIR ...]`.

Every question is asked of an index of its set's corpus, as the engine asks it. The reader learns
from its two best passages, and from any other of its best three that holds the answer: the
answer's first and last word pieces where the passage, in the right document, holds a gold answer,
and the [CLS] token (no answer) everywhere else, so unanswerable questions, and passages that
don't hold the answer, teach it to say no.

DIR is the set the answer model is fitted on (the SQuAD 2.0 dev half: Wikipedia, half of its
questions unanswerable). Each `--also` set adds answerable questions on another kind of text
(SQuADShifts' Amazon reviews and new Wikipedia articles), ALSO_LIMIT of them by document, taken
from the far end of the seeded order so that none of their documents is in the sample
`python -m index.training.levels` places the abstention bars on: those stay held out.

It is trained three times, with seed 0, in bfloat16 autocast where the CPU has it:
- twice on half of the documents of every set each (by document, never by question), each half's
  model scoring the other half of DIR. These out-of-fold scores are what
  `python -m index.training.fit` fits the answer model on, so that model never sees a reader score
  on a passage the reader was trained on. They are cached in the fit index's folder;
- once on everything: the weights that ship, index/data/reader.safetensors (float16, without the
  word embeddings, which stay the bundled model's) and its sha256.

About 70 minutes on two cores (bfloat16, AMX). The word embeddings stay frozen, so they need not
ship.
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
import time
from pathlib import Path

import numpy as np

from index.query.reader import Read, encode, passage_tokens, tokenizer_for
from index.query.span_model import FROZEN, WEIGHTS_PATH, base_model_path, span_model
from index.training.common import write_sha256

SEED = 0
EPOCHS = 1
LEARNING_RATE = 1e-4
BATCH = 16
WARMUP = 0.1
TRAIN_PASSAGES = 2  # the best passages every question trains on; others only if they answer
ALSO_LIMIT = 2500  # questions from each further folder (--also)


def save_weights(model, path: Path = WEIGHTS_PATH) -> None:
    import torch
    from safetensors.torch import save_file

    state = {
        name: tensor.detach().to(torch.float16).contiguous()
        for name, tensor in model.state_dict().items()
        if name != FROZEN
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(state, str(path))
    write_sha256(path)


def answer_span(record: dict, doc_id: str, start: int, text: str) -> tuple[int, int] | None:
    """Where a gold answer lies in this passage (characters), or None."""
    if not record.get("answerable") or doc_id != record.get("doc"):
        return None
    offset = record.get("char_start")
    answers = record.get("answers") or []
    if offset is not None and answers and start <= offset < start + len(text):
        at = offset - start
        if text[at : at + len(answers[0])] == answers[0]:
            return at, at + len(answers[0])
    for answer in answers:
        at = text.find(answer)
        if at >= 0:
            return at, at + len(answer)
    return None


def examples(asked: list, tokenizer) -> list[tuple[list[int], int, int]]:
    """(input ids, start token, end token) per training passage; (…, 0, 0) means no answer."""
    out = []
    for item in asked:
        for position, hit in enumerate(item.hits):
            chunk = hit.chunk
            span = answer_span(item.record, chunk.doc_id, chunk.start, chunk.text)
            if position >= TRAIN_PASSAGES and span is None:
                continue
            encoding = encode(tokenizer, item.question, chunk.text)
            tokens = passage_tokens(encoding, *span) if span is not None else None
            first, last = (tokens[0], tokens[1] - 1) if tokens else (0, 0)
            out.append((encoding.ids, first, last))
    return out


def _batches(count: int, lengths: list[int], rng: random.Random) -> list[list[int]]:
    """Shuffled batches of similar length (less padding), in a seeded order."""
    order = list(range(count))
    rng.shuffle(order)
    batches = []
    for block in range(0, count, BATCH * 50):
        part = sorted(order[block : block + BATCH * 50], key=lambda i: lengths[i])
        batches += [part[i : i + BATCH] for i in range(0, len(part), BATCH)]
    rng.shuffle(batches)
    return batches


def _padded(sequences: list[list[int]]):
    import torch

    width = max(map(len, sequences))
    ids = torch.zeros(len(sequences), width, dtype=torch.long)
    mask = torch.zeros(len(sequences), width, dtype=torch.long)
    for row, sequence in enumerate(sequences):
        ids[row, : len(sequence)] = torch.tensor(sequence)
        mask[row, : len(sequence)] = 1
    return ids, mask


def train(data: list[tuple[list[int], int, int]], log=print):
    import torch

    from index.modelfiles import cpu_has_native_bf16

    torch.manual_seed(SEED)
    rng = random.Random(SEED)
    model = span_model()
    model.encoder.embeddings.word_embeddings.weight.requires_grad_(False)
    params = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(params, lr=LEARNING_RATE, weight_decay=0.01)
    lengths = [len(ids) for ids, _, _ in data]
    steps = EPOCHS * -(-len(data) // BATCH)
    warm = max(1, int(steps * WARMUP))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min((s + 1) / warm, max(0.0, (steps - s) / (steps - warm)))
    )
    bf16 = cpu_has_native_bf16()
    model.train()
    started, step = time.perf_counter(), 0
    for _ in range(EPOCHS):
        for batch in _batches(len(data), lengths, rng):
            ids, mask = _padded([data[i][0] for i in batch])
            first = torch.tensor([data[i][1] for i in batch])
            last = torch.tensor([data[i][2] for i in batch])
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                logits = model(ids, mask)
            loss = (
                torch.nn.functional.cross_entropy(logits[..., 0], first)
                + torch.nn.functional.cross_entropy(logits[..., 1], last)
            ) / 2
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimiser.step()
            schedule.step()
            optimiser.zero_grad()
            step += 1
            if step % 100 == 0:
                took = time.perf_counter() - started
                log(f"  step {step}/{steps}, loss {loss.item():.3f}, {took:.0f} s")
    return model.eval()


def read_all(model, asked: list, tokenizer) -> list[list[Read]]:
    """Each question's reads of its best passages, batched, in bfloat16 where the CPU has it."""
    import torch

    from index.modelfiles import cpu_has_native_bf16

    items = [(q, p) for q, item in enumerate(asked) for p in range(len(item.hits))]
    reads: list[list[Read]] = [[] for _ in asked]
    bf16 = cpu_has_native_bf16()
    with torch.inference_mode():
        for block in range(0, len(items), 32):
            part = items[block : block + 32]
            encodings = [
                encode(tokenizer, asked[q].question, asked[q].hits[p].chunk.text) for q, p in part
            ]
            ids, mask = _padded([e.ids for e in encodings])
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                logits = model(ids, mask).float().numpy()
            for row, ((q, _), encoding) in enumerate(zip(part, encodings, strict=True)):
                n = len(encoding.ids)
                reads[q].append(Read(logits[row, :n, 0], logits[row, :n, 1], encoding))
    return reads


def out_of_fold_path(index_dir: Path, questions_sha256: str) -> Path:
    key = hashlib.sha256(
        json.dumps([questions_sha256, SEED, EPOCHS, LEARNING_RATE, BATCH]).encode()
    ).hexdigest()[:16]
    return index_dir / f"reader-out-of-fold-{key}.npz"


def main(argv: list[str] | None = None) -> int:
    from index.query.features import reader_margins
    from index.training.common import arguments, ask_all, fold_of, questions_sha256

    parser = arguments("python -m index.training.reader_train", __doc__, WEIGHTS_PATH)
    parser.add_argument(
        "--also",
        type=Path,
        action="append",
        default=[],
        help="another SQuAD-style folder to learn from (answerable questions on other kinds of "
        "text); its questions are taken by document from the far end of the seeded order, so "
        "they never meet the sample `python -m index.training.levels` places the bars on",
    )
    parser.add_argument("--also-limit", type=int, default=ALSO_LIMIT, help="questions per --also")
    parser.add_argument(
        "--out-of-fold-only",
        action="store_true",
        help="only the two half-trainings' scores the answer model is fitted on; no weights",
    )
    args = parser.parse_args(argv)

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    asked, _, _ = ask_all(args.folder, args.index)
    tokenizer = tokenizer_for(base_model_path())
    half = fold_of(np.asarray([str(a.record.get("doc")) for a in asked])) < 3
    more: list = []
    for folder in args.also:
        records = _far_records(folder, args.also_limit)
        extra, _, _ = ask_all(
            folder, args.index.parent / f"{args.index.name}-{folder.name}", records=records
        )
        log(f"reader: {len(extra)} questions of {folder.name}")
        more += extra
    more_half = fold_of(np.asarray([f"{a.record.get('doc')}" for a in more])) < 3
    margins: list[np.ndarray] = [np.zeros(0)] * len(asked)
    for side in (True, False):
        train_on = [a for a, h in zip(asked, half, strict=True) if h == side]
        train_on += [a for a, h in zip(more, more_half, strict=True) if h == side]
        score = [q for q, h in enumerate(half) if h != side]
        log(f"reader: fold {int(not side) + 1} of 2, {len(train_on)} questions")
        model = train(examples(train_on, tokenizer), log)
        for q, reads in zip(
            score, read_all(model, [asked[q] for q in score], tokenizer), strict=True
        ):
            margins[q] = reader_margins(reads, asked[q].candidates, asked[q].hits)
    path = out_of_fold_path(args.index, questions_sha256(args.folder))
    np.savez(path, margins=np.concatenate(margins), counts=[len(m) for m in margins])
    log(f"reader: out-of-fold scores in {path}")
    if args.out_of_fold_only:
        return 0
    log(f"reader: all {len(asked) + len(more)} questions")
    save_weights(train(examples(asked + more, tokenizer), log), args.out)
    log(f"reader: weights in {args.out}")
    return 0


def _far_records(folder: Path, limit: int) -> list[dict]:
    """`limit` questions of the folder, by document, none of whose documents the levels' sample
    (the near end of the same order) holds."""
    from index.training import common

    records = common.read_records(folder, limit, from_end=True)
    near = {r.get("doc") for r in common.read_records(folder, common.LEVELS_SAMPLE)}
    if near & {r.get("doc") for r in records}:
        raise SystemExit(f"{folder}: too few documents to keep {limit} questions apart from levels")
    return records


if __name__ == "__main__":
    sys.exit(main())

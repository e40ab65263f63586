"""Model files a build exports once and every load checks: the file, with its sha256 beside it.

    index_dir/models/<name>.onnx
    index_dir/models/<name>.onnx.sha256    the file's own sha256

Used for the question model (index.query.onnx_embed) and the reader (index.query.reader).

Both are exported the same way (`torch_to_onnx`): transformers' eager attention, through torch's
TorchScript exporter. Its graph runs faster in ONNX Runtime than the dynamo exporter's graph of
the same model (which carries SDPA's mask handling): measured paired on an AVX-512 EPYC, the int8
reader at 0.78x the time over SciFact's passages, the question model at 0.91x, with the same
output (largest difference in a question vector 2e-7; SQuAD accuracy 0.6813 against 0.6820).
Both are served the same way too (`session`): from a copy prepared once per machine, beside the
export, that every process memory-maps (`prepare`), so the weights are one copy in the page cache
for every worker on the machine instead of one per process.

The question model's graph is then fused (`fuse_bert`: one Attention node per layer, skip-layer-
norms, bias-GELU; the export takes an attention mask and token types so that attention can fuse).
The arithmetic is the same (cosine 1.0000000 to the unfused export); on a 2-core EPYC with AVX2
only it took 0.92-0.93x the time per question, paired over 200 SciFact and 200 SQuAD questions.
The reader is not fused: fused and then int8 it took 0.965x the time there, and 1.12x on an
AVX-512 EPYC.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
import platform
import shutil
import warnings
from collections.abc import Callable
from pathlib import Path

_log = logging.getLogger("qabot.exports")
_CPU = ["CPUExecutionProvider"]


def problem(path: Path, what: str) -> str | None:
    """Why the exported file can't be used, or None when it is there and matches its checksum."""
    sidecar = _sidecar(path)
    if not path.is_file() or not sidecar.is_file():
        return f"no exported {what} at {path} (`qabot index build` exports it)"
    try:
        expected = sidecar.read_text().strip()
        with path.open("rb") as handle:
            actual = hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError as error:
        return f"the {what} {path} can't be read ({error.strerror})"
    if actual != expected:
        return f"the {what} {path} fails its checksum (run `qabot index build`)"
    return None


def checksum(path: Path) -> str:
    """The sha256 an export's sidecar gives (check the file with `problem` first)."""
    return _sidecar(path).read_text().strip()


def write(path: Path, produce: Callable[[Path], None], family: str) -> None:
    """Have `produce` write a temporary file, then put it and its checksum in place atomically.

    Raises what `produce` or the disk raises (a full disk, a read-only folder); nothing partial is
    left behind, and an older file at `path` stays as it was. Once it is in place, the folder's
    other `family*.onnx` files (older weights or an older way of exporting) are removed.
    """
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    sidecar = _sidecar(path)
    sidecar_temporary = sidecar.with_name(f".{sidecar.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        produce(temporary)
        with temporary.open("rb") as handle:
            digest = hashlib.file_digest(handle, "sha256").hexdigest()
            os.fsync(handle.fileno())
        sidecar_temporary.write_text(digest + "\n")
        os.replace(temporary, path)
        os.replace(sidecar_temporary, sidecar)
    finally:
        for leftover in (temporary, sidecar_temporary):
            with contextlib.suppress(OSError):
                leftover.unlink(missing_ok=True)
    for stale in path.parent.glob(f"{family}*.onnx"):
        if stale != path:
            for leftover in (stale, _sidecar(stale)):
                with contextlib.suppress(OSError):
                    leftover.unlink(missing_ok=True)


def session(path: Path):
    """An ONNX Runtime session for one question's work: two threads that never spin.

    On a 2-core EPYC with AVX-512 VNNI, two threads made the question model 2.7 ms a SciFact query
    instead of 3.9 on one. With two questions at once (the bot's worker pool) the median stayed at
    4.0 ms and p95 went from 5.5 to 7.6; spinning threads took 2.2 ms alone but 6.0 ms (p95 9-10)
    two at once: they burn the core the other question needs. On a 2-core EPYC with AVX2 only
    (Zen 3) the unfused question model took 6.2-6.8 ms on two threads, 7.0-8.4 on one, 5.0 spinning.

    `path` is a checked export; the session runs its copy prepared for this machine (`prepare`),
    or the export itself when no copy can be written there.
    """
    import onnxruntime

    prepared = prepare(path)
    if prepared is not None:
        options = _options()  # optimised when it was prepared: loading it only maps it
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL
        try:
            return onnxruntime.InferenceSession(str(prepared), options, providers=_CPU)
        except Exception as error:  # onnxruntime raises its own error types for a bad file
            _log.warning("qabot: %s can't be loaded (%s); loading %s", prepared, error, path)
    return onnxruntime.InferenceSession(str(path), _options(), providers=_CPU)


def prepare(path: Path) -> Path | None:
    """This machine's copy of a checked export, written on first use: the graph as ONNX Runtime
    optimises it, with every weight (and its packed form for the matrix kernels) in a file of
    its own that ONNX Runtime memory-maps at load. Every process on the machine then shares one
    copy in the page cache: the two models took 137 MB of each worker's private memory, 8 MB
    now (docs/scale.md). The arithmetic is the same: the outputs are bit-identical to the
    export's (tests/test_exports.py).

        models/prepared/<export's sha256>-<machine>/model.onnx, model.onnx.data

    <machine> names the ONNX Runtime version and the CPU with its instruction sets, which decide
    the optimised graph and the packed layout. The folder is written under a temporary name and
    renamed into place, so a process sees a whole copy or none. Returns None (one log line) when
    it can't be written: each process then loads the export on its own, as before.
    """
    try:
        folder = path.parent / "prepared" / f"{checksum(path)}-{machine_key()}"
    except OSError:
        return None  # not a checked export
    model = folder / "model.onnx"
    if model.is_file():
        return model
    temporary = folder.with_name(f".{folder.name}.{os.getpid()}.tmp")
    try:
        temporary.mkdir(parents=True, exist_ok=True)
        _optimise(path, temporary / "model.onnx")
        for file in temporary.iterdir():
            with file.open("rb") as handle:
                os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError, OSError):  # another process put its copy first
            temporary.rename(folder)
        _drop_stale(folder.parent, path.parent)
    except Exception as error:  # OSError for the disk, onnxruntime's own errors for the graph
        _log.warning(
            "qabot: couldn't prepare %s for this machine (%s); this process loads its own copy",
            path,
            reason(error),
        )
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
    return model if model.is_file() else None


def _drop_stale(prepared: Path, models: Path) -> None:
    """Remove the copies of exports that are no longer there (a process still running on one
    keeps its mapping)."""
    current = set()
    for sidecar in models.glob("*.onnx.sha256"):
        with contextlib.suppress(OSError):
            current.add(sidecar.read_text().strip())
    for folder in prepared.iterdir():
        if not folder.name.startswith(".") and folder.name.split("-")[0] not in current:
            shutil.rmtree(folder, ignore_errors=True)


def machine_key() -> str:
    """What a prepared copy depends on: ONNX Runtime's version and the CPU's name and flags."""
    import onnxruntime

    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        lines = [platform.processor()]
    cpu = sorted({line for line in lines if line.startswith(("model name", "flags"))})
    described = "\n".join([onnxruntime.__version__, platform.machine(), *cpu])
    return hashlib.sha256(described.encode()).hexdigest()[:16]


def _optimise(source: Path, target: Path) -> None:
    """Have ONNX Runtime optimise `source` and save it to `target`, the weights and their packed
    forms in `target`.data."""
    import onnxruntime

    options = _options()
    options.log_severity_level = 3  # it warns that the graph is for this machine: it is
    options.optimized_model_filepath = str(target)
    for key, value in (
        ("session.optimized_model_external_initializers_file_name", target.name + ".data"),
        ("session.optimized_model_external_initializers_min_size_in_bytes", "1024"),
        ("session.save_external_prepacked_constant_initializers", "1"),
    ):
        options.add_session_config_entry(key, value)
    onnxruntime.InferenceSession(str(source), options, providers=_CPU)


def _options():
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = min(2, os.cpu_count() or 1)
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return options


def torch_to_onnx(
    module, example: tuple, target: Path, output: str, inputs: tuple[str, ...] = ("input_ids",)
) -> None:
    """Write `module` (`inputs`, as in `example` -> `output`, any batch and length) as a float32
    ONNX file."""
    import torch

    logging.getLogger("torch.onnx").setLevel(logging.ERROR)
    # The exporter reports its steps on stdout, which `--json` output must not carry.
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module,
            example,
            str(target),
            input_names=list(inputs),
            output_names=[output],
            dynamic_axes={name: {0: "batch", 1: "sequence"} for name in (*inputs, output)},
            opset_version=17,
            dynamo=False,
        )


def fuse_bert(path: Path, heads: int, hidden: int) -> None:
    """Rewrite a float32 BERT export with ONNX Runtime's offline fusions, in place: one Attention
    node per layer, skip-layer-norms, bias-GELU. Exact (the same arithmetic in fewer nodes); it
    needs the export to take an attention mask and token types."""
    from onnxruntime.transformers import optimizer

    optimizer.optimize_model(
        str(path), model_type="bert", num_heads=heads, hidden_size=hidden, opt_level=0
    ).save_model_to_file(str(path))


def int8_weights(source: Path, target: Path, op_types: tuple[str, ...] = ()) -> None:
    """Write `source` (a float32 ONNX file) with int8 weights per output channel, in 7 bits: the
    u8 x s8 products then can't saturate on CPUs without VNNI, where ONNX Runtime multiplies in 16
    bits. Activations are quantised as they come (dynamic quantisation). `op_types` limits it to
    those nodes (all it can quantise when empty)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # the quantiser's advice to pre-process goes to the root logger
    try:
        quantize_dynamic(
            str(source),
            str(target),
            per_channel=True,
            reduce_range=True,
            weight_type=QuantType.QInt8,
            op_types_to_quantize=list(op_types) or None,
            # shape inference can't type a fused graph's contrib nodes: their outputs are float32
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
    finally:
        root.setLevel(level)


def reason(error: Exception) -> object:
    """What to say about a failed export: the OS's words for a disk error, else the error."""
    return error.strerror if isinstance(error, OSError) and error.strerror else error


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")

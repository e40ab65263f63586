"""The reader's network and its weights: the bundled encoder with a start/end head, the shipped
fine-tuned weights (checked against their sha256), and loading them into PyTorch. Serving uses
it when there is no ONNX export (and to export one); training fine-tunes it."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from index.errors import QabotError
from index.modelfiles import DATA_DIR, resolve_model_path
from index.settings import BUNDLED_MODEL

WEIGHTS_PATH = DATA_DIR / "reader.safetensors"
BASE_MODEL = BUNDLED_MODEL  # the weights it was fine-tuned from


def weights_sha256(path: Path | None = None) -> str:
    """The shipped weights' sha256, checked against their sidecar file; a clear error if not."""
    path = path or WEIGHTS_PATH
    sidecar = path.with_suffix(".sha256")
    try:
        expected = sidecar.read_text().split()[0]
        with path.open("rb") as handle:
            actual = hashlib.file_digest(handle, "sha256").hexdigest()
    except (OSError, IndexError) as error:
        raise QabotError(f"the reader's weights {path} can't be read ({error})") from None
    if actual != expected:
        raise QabotError(
            f"the reader's weights {path} fail their checksum; reinstall qabot or refit them "
            "with `python -m index.training.reader_train`"
        )
    return actual


@functools.cache
def shipped_sha256() -> str:
    """The shipped weights' checked sha256, hashed once per process (they change on reinstall)."""
    return weights_sha256()


def base_model_path() -> Path:
    path = resolve_model_path(BASE_MODEL)
    if path is None:
        raise QabotError(f"the reader needs the bundled model {BASE_MODEL}, which isn't installed")
    return path


FROZEN = "encoder.embeddings.word_embeddings.weight"


def span_model(base: Path | None = None, attention: str = "sdpa"):
    """The bundled encoder with a start/end head: input_ids -> logits [batch, tokens, 2].

    `attention` is transformers' attention implementation: "eager" for the ONNX export.
    """
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()

    class SpanModel(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = AutoModel.from_pretrained(
                str(base or base_model_path()), attn_implementation=attention
            )
            self.head = torch.nn.Linear(self.encoder.config.hidden_size, 2)

        def forward(self, input_ids, attention_mask=None):
            if attention_mask is None:
                attention_mask = torch.ones_like(input_ids)
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask)
            logits = self.head(hidden.last_hidden_state).float()
            return logits.masked_fill(attention_mask.unsqueeze(-1) == 0, -1e4)

    return SpanModel()


def load_weights(path: Path | None = None, attention: str = "sdpa"):
    """The shipped reader in PyTorch, its checksum checked (`attention`: see span_model)."""
    import torch
    from safetensors.torch import load_file

    path = path or WEIGHTS_PATH
    weights_sha256(path)
    model = span_model(attention=attention)
    state = {name: tensor.to(torch.float32) for name, tensor in load_file(str(path)).items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    if unexpected or set(missing) != {FROZEN}:
        raise QabotError(f"the reader's weights {path} don't fit the bundled model")
    return model.eval()

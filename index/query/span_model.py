"""The reader's network in PyTorch: the bundled encoder with a start/end head, and loading the
shipped weights. Serving uses it when there is no ONNX export; training fine-tunes it."""

from __future__ import annotations

from pathlib import Path

from index.errors import QabotError
from index.query.reader import base_model_path

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

    from index.query import reader

    path = path or reader.WEIGHTS_PATH
    reader.weights_sha256(path)
    model = span_model(attention=attention)
    state = {name: tensor.to(torch.float32) for name, tensor in load_file(str(path)).items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    if unexpected or set(missing) != {FROZEN}:
        raise QabotError(f"the reader's weights {path} don't fit the bundled model")
    return model.eval()

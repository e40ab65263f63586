"""The one way to (re)build an index: the CLI, the engine and collections all call `rebuild`.

An incremental build from the corpus folder (index.build.incremental), the new build loaded and
checked, and, where the models serve from exports, the question model and the reader exported
into the index folder so questions need no torch.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from index.build.incremental import build_index
from index.errors import IndexCorrupt, IndexMissing
from index.models import BuildReport
from index.settings import EngineSettings
from index.store import StoredIndex, load_index

if TYPE_CHECKING:  # the models are handed in: building never loads a question model itself
    from index.runtime import Models

log = logging.getLogger("qabot.index")

Progress = Callable[[int, int], None]  # progress(done, total), called as files are processed


def rebuild(
    settings: EngineSettings,
    models: Models,
    previous: StoredIndex | None = None,
    progress: Progress | None = None,
    *,
    exports: bool | None = None,
) -> tuple[BuildReport, StoredIndex]:
    """Build the settings' corpus into its index folder, reusing `previous` (else the index on
    disk, when it is usable), and export the question model and the reader there when `exports`
    (the models' own setting unless given). Returns the report and the new build, loaded."""
    builder = models.build_embedder()
    if previous is None:
        previous = _previous(settings, builder.weights_sha256, builder.dim)
    report = build_index(settings.corpus_dir, settings.index_dir, builder, previous, progress)
    index = load_index(settings.index_dir, builder.weights_sha256, builder.dim)
    if models.exports if exports is None else exports:
        models.export(settings.index_dir)
    return report, index


def _previous(settings: EngineSettings, model_sha256: str, dim: int) -> StoredIndex | None:
    try:
        return load_index(settings.index_dir, model_sha256, dim)
    except IndexMissing:
        return None
    except IndexCorrupt as error:
        log.warning("qabot: the old index is unusable, building from scratch (%s)", error)
        return None

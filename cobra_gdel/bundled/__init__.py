"""Bundled predictors: trained weights and learned embeddings shipped with the package.

Each supported model has ``<model_id>.pt`` (a saved predictor, see
:meth:`cobra_gdel.predictors.BasePredictor.save`) and ``<model_id>.json`` (its
manifest: model id, gene ids, training-data hash, cross-validated metrics,
package version). ``scripts/train_bundled.py`` rebuilds them.

A model is matched to a bundled predictor by its id and by gene-id overlap, so
that e.g. iJO1366 (which shares most b-numbers with iML1515) uses iML1515's.

``<model_id>.designs.tsv`` holds one minimal design per training target of that model
(its published strategy trimmed on it; ``scripts/reference_designs.py`` rebuilds them):
:func:`reference_designs`. :func:`cobra_gdel.predict_deletions` tries the design of the
same target first on a model that the bundled predictor fits by gene overlap but was
not trained on (iJO1366 with iML1515's predictor).

``network.json`` is the manifest of the *transferable* predictor
(:class:`~cobra_gdel.predictors.NetworkPredictor`): no weights, only its parameters
and the leave-one-model-out figures it was chosen by. :func:`load_transferable` binds
it to any model; :func:`cobra_gdel.predict_deletions` uses it for a model that no
organism-specific predictor fits, and for the genes and targets the organism-specific
one can not score.
"""

from __future__ import annotations

import copy
import functools
import json
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from ..exceptions import CheckpointError, MissingInputError

logger = logging.getLogger(__name__)

__all__ = ["BundledPredictor", "TransferablePredictor", "available", "select", "load",
           "reference_designs", "transferable", "load_transferable"]

HERE = Path(__file__).resolve().parent
#: Minimal share of a model's genes a bundled predictor must know to be chosen.
MIN_OVERLAP = 0.5
#: ``kind`` of the manifest of a predictor that ships no weights and reads any model.
TRANSFERABLE = "transferable"


@dataclass(frozen=True)
class BundledPredictor:
    """A bundled predictor's manifest and weight file."""

    model_id: str
    path: Path
    gene_ids: frozenset
    manifest: dict

    def overlap(self, gene_ids) -> float:
        """Share of *gene_ids* this predictor has an embedding for."""
        gene_ids = set(gene_ids)
        return len(gene_ids & self.gene_ids) / max(1, len(gene_ids))


def _manifests(folder: Path):
    """(path, parsed manifest) of every ``*.json`` in *folder*, by name."""
    for manifest_path in sorted(Path(folder).glob("*.json")):
        try:
            yield manifest_path, json.loads(manifest_path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise CheckpointError(f"bundled manifest {manifest_path} is unreadable: {exc}") from exc


@functools.lru_cache(maxsize=None)
def available(folder: Path = HERE) -> tuple[BundledPredictor, ...]:
    """The bundled predictors found in *folder* (manifests with their weight files)."""
    out = []
    for manifest_path, manifest in _manifests(folder):
        if manifest.get("kind") == TRANSFERABLE:
            continue
        weights = manifest_path.with_suffix(".pt")
        if not weights.exists():
            logger.warning("bundled manifest %s has no weight file; ignored", manifest_path.name)
            continue
        out.append(BundledPredictor(manifest.get("model_id", manifest_path.stem), weights,
                                    frozenset(manifest.get("gene_ids", ())), manifest))
    return tuple(out)


def select(model, name: str = "auto") -> BundledPredictor:
    """Choose the bundled predictor for *model*.

    Parameters
    ----------
    model : cobra.Model
        The model designs are made for.
    name : str
        ``"auto"`` (by model id, then by gene-id overlap) or a bundled model id.

    Raises
    ------
    MissingInputError
        When no bundled predictor fits, naming the best candidate and what to pass.
    """
    bundled = available()
    if not bundled:
        raise MissingInputError("no bundled predictors are installed with cobra_gdel")
    genes = [g.id for g in model.genes]
    if name != "auto":
        for item in bundled:
            if item.model_id.lower() == name.lower():
                return item
        raise MissingInputError(f"no bundled predictor named {name!r}; available: "
                                f"{[b.model_id for b in bundled]}")
    scored = sorted(bundled, key=lambda b: (b.model_id.lower() == (model.id or "").lower(),
                                            b.overlap(genes)), reverse=True)
    best = scored[0]
    share = best.overlap(genes)
    if share >= MIN_OVERLAP:
        logger.info("using the bundled %s predictor for model %r (gene overlap %.0f %%)",
                    best.model_id, model.id, 100 * share)
        return best
    raise MissingInputError(
        f"no bundled predictor fits model {model.id!r}: the best, {best.model_id}, knows "
        f"{100 * share:.0f} % of its genes (need {100 * MIN_OVERLAP:.0f} %). Train one with "
        "`cobra-gdel train` and pass predictor=<file or fitted predictor>.")


@functools.lru_cache(maxsize=None)
def reference_designs(model_id: str, folder: Path = HERE) -> dict[str, frozenset]:
    """The bundled minimal design of each training target of *model_id* (target id ->
    deleted gene ids; empty when the package holds none for that model).

    Raises
    ------
    CheckpointError
        When the table is unreadable or malformed.
    """
    path = Path(folder) / f"{model_id}.designs.tsv"
    if not path.exists():
        return {}
    designs: dict[str, frozenset] = {}
    try:
        lines = path.read_text().splitlines()
    except OSError as exc:
        raise CheckpointError(f"bundled designs {path} are unreadable: {exc}") from exc
    if not lines or lines[0].split("\t") != ["target", "deletions"]:
        raise CheckpointError(f"bundled designs {path}: expected the header 'target<TAB>deletions'")
    for number, line in enumerate(lines[1:], start=2):
        fields = line.split("\t")
        if len(fields) != 2 or not fields[0] or not fields[1]:
            raise CheckpointError(f"bundled designs {path}, line {number}: expected a target "
                                  "and its comma-separated deletions")
        designs[fields[0]] = frozenset(fields[1].split(","))
    return designs


@dataclass(frozen=True)
class TransferablePredictor:
    """The manifest of the transferable predictor (no weight file)."""

    name: str
    predictor_name: str
    params: dict
    manifest: dict


@functools.lru_cache(maxsize=None)
def transferable(folder: Path = HERE) -> TransferablePredictor:
    """The transferable predictor's manifest in *folder* (``kind: "transferable"``).

    Raises
    ------
    MissingInputError
        When the package holds none.
    """
    for manifest_path, manifest in _manifests(folder):
        if manifest.get("kind") == TRANSFERABLE:
            return TransferablePredictor(manifest.get("name", manifest_path.stem),
                                         manifest["predictor_name"],
                                         dict(manifest.get("params", {})), manifest)
    raise MissingInputError("no transferable predictor is installed with cobra_gdel")


def load_transferable(model, item: TransferablePredictor | None = None):
    """The transferable predictor bound to *model* (its LP is built once per model).

    Parameters
    ----------
    model : cobra.Model
    item : TransferablePredictor, optional
        Default: :func:`transferable`.
    """
    from ..predictors import make_predictor

    item = item or transferable()
    return make_predictor(item.predictor_name, **item.params).fit(model=model)


_LOADED: dict[tuple, object] = {}
_LOCK = threading.Lock()


def load(item: BundledPredictor | str | Path, device: str | None = None, *, model=None):
    """Load a bundled predictor (or a saved predictor file).

    Files are read once per process, path, device and file version (modification
    time and size: a rewritten file is read again); every call returns its own
    shallow copy, so that :meth:`embed_metabolites` on one caller's predictor never
    changes another's. Safe to call from several threads. A predictor that reads the
    model (the gated one) is bound to *model* when one is given.
    """
    from ..predictors import load_predictor

    path = item.path if isinstance(item, BundledPredictor) else Path(item)
    try:
        stat = path.stat()
    except OSError as exc:
        raise CheckpointError(f"{path}: no such checkpoint file") from exc
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size, device)
    with _LOCK:
        loaded = _LOADED.get(key)
        if loaded is None:
            logger.info("loading predictor %s on %s", path, device or "cpu")
            loaded = _LOADED[key] = load_predictor(path, device=device)
    mine = copy.copy(loaded)
    if model is not None and getattr(mine, "reads_model", False):
        mine.fit(model=model)
    return mine

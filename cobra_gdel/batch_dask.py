"""The dask.distributed side of a batch: the model shipped once per worker, one task
per target.

Only :mod:`cobra_gdel.batch` imports this module, and only when a client (or a
scheduler address) is given: importing :mod:`cobra_gdel` never imports dask.

The model, the design method and its keywords travel inside a worker plugin
(:class:`ModelPlugin`, registered with :meth:`distributed.Client.register_plugin`):
the scheduler hands it to every worker once, also to workers that join later or are
restarted after a crash, and each task then names only the plugin and its target. A
worker keeps the same model object for all its targets (and for later batches with
the same, unchanged model), so the model's cached coupling checker and analyses (flux
ranges, single-deletion growth) are built once per worker, not once per target. The
plugin is removed when the batch ends.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import math
import pickle
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence

from distributed import Client, WorkerPlugin, as_completed, get_worker

from .batch_worker import ERROR, design_one, limit_threads, screen

logger = logging.getLogger(__name__)

__all__ = ["MODELS_KEPT", "ModelPlugin", "connect", "model_token", "design_targets", "local_client", "run_screen",
           "run_target", "screen_metabolites", "shipped"]

#: Chunks per worker when producible metabolites are screened.
SCREEN_CHUNKS_PER_WORKER = 4


#: Models a worker keeps between batches (most recently used last).
MODELS_KEPT = 2
#: token -> model, per worker process (see :class:`ModelPlugin`).
_WORKER_MODELS: OrderedDict = OrderedDict()


def model_token(model) -> str:
    """A digest of the pickled model: equal for an unchanged model, different after any
    edit that pickling sees (bounds, rules, reactions, the solver problem)."""
    return hashlib.sha256(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)).hexdigest()


class ModelPlugin(WorkerPlugin):
    """The model, the design method and its keywords, held by every worker.

    A worker keeps the last ``MODELS_KEPT`` models it was sent, by token: a later batch
    with the same (unchanged) model designs on the model object it already holds, so
    that model's coupling checker and analyses (flux ranges, single-deletion growth),
    built by the earlier batch, are reused.

    Parameters
    ----------
    model : cobra.Model
        Pickled once when the plugin is registered; each worker holds its own copy.
    method : str or callable, optional
        The design method (see :func:`cobra_gdel.batch_worker.resolve_method`).
    kwargs : mapping, optional
        Keywords of every call.
    token : str, optional
        :func:`model_token` of *model* (computed when not given).
    """

    idempotent = False

    def __init__(self, model, method=None, kwargs: Mapping | None = None,
                 token: str | None = None) -> None:
        self.model = model
        self.method = method
        self.kwargs = dict(kwargs or {})
        self.token = token or model_token(model)

    def setup(self, worker) -> None:
        """Use the worker's copy of the model when it has one."""
        self.model = _WORKER_MODELS.pop(self.token, self.model)
        _WORKER_MODELS[self.token] = self.model
        while len(_WORKER_MODELS) > MODELS_KEPT:
            _WORKER_MODELS.popitem(last=False)

    def teardown(self, worker) -> None:
        """Drop the model when the plugin is removed."""
        self.model, self.kwargs = None, {}


def connect(client) -> tuple[Client, bool]:
    """(client, whether this call opened it) for a ``Client`` or a scheduler address.

    Raises
    ------
    TypeError
        *client* is neither.
    """
    if isinstance(client, Client):
        return client, False
    if isinstance(client, str):
        return Client(client), True
    raise TypeError(f"client must be a dask.distributed.Client or a scheduler address, not "
                    f"{type(client).__name__}")


@contextlib.contextmanager
def shipped(client: Client, model, method=None, kwargs: Mapping | None = None
            ) -> Iterator[str]:
    """Register a :class:`ModelPlugin` under a fresh name for the duration of a block."""
    name = f"cobra_gdel-{uuid.uuid4().hex[:12]}"
    client.register_plugin(ModelPlugin(model, method, kwargs), name=name)
    try:
        yield name
    finally:
        with contextlib.suppress(Exception):  # the client or cluster may be gone already
            client.unregister_worker_plugin(name)


def _plugin(name: str) -> ModelPlugin:
    plugin = get_worker().plugins.get(name)
    if plugin is None or plugin.model is None:
        raise RuntimeError(f"worker holds no model for batch {name}")
    return plugin


def run_target(name: str, target: str) -> dict:
    """Task: design *target* on the model of plugin *name* (see
    :func:`cobra_gdel.batch_worker.design_one`)."""
    plugin = _plugin(name)
    limit_threads()  # torch, once a task imported it (dask's nanny also sets OMP_NUM_THREADS=1)
    try:
        return design_one(plugin.model, target, plugin.method, plugin.kwargs)
    finally:
        limit_threads()


def run_screen(name: str, metabolites: Sequence[str], growth_lb: float,
               production_lb: float, solver=None) -> tuple[list[str], dict[str, str]]:
    """Task: :func:`cobra_gdel.batch_worker.screen` on the model of plugin *name*."""
    return screen(_plugin(name).model, metabolites, growth_lb, production_lb, solver)


def _slots(client: Client) -> int:
    """Tasks to keep in flight: one per worker thread (at least one)."""
    return max(1, sum(client.nthreads().values()))


def design_targets(client: Client, model, targets: Sequence[str], method,
                   kwargs: Mapping, on_record: Callable[[dict], None], bar=None) -> None:
    """Design every target on the client's workers; *on_record* gets each record (as
    :func:`~cobra_gdel.batch_worker.design_one` makes it) as soon as it is back.

    One task per worker thread is in flight at a time (the next target is submitted
    when one comes back): design tasks are long, so no target waits queued behind a
    long one while another worker is idle, and a worker that dies takes no queued
    target down with it. A task that fails outside the design call (its worker died
    more often than the scheduler allows, it was cancelled, its result could not
    travel back) gives a record with status ``"error"`` and the exception in
    ``reason``; the other targets carry on.
    """
    with shipped(client, model, method, kwargs) as name:
        queue = list(enumerate(targets))[::-1]
        owner = {}

        def submit():
            i, target = queue.pop()
            future = client.submit(run_target, name, target, key=f"{name}-{i}", pure=False)
            owner[future] = target
            return future

        running = as_completed([submit() for _ in range(min(_slots(client), len(queue)))])
        for future in running:
            target = owner.pop(future)
            try:
                record = future.result()
            except Exception as exc:  # noqa: BLE001 - a lost task must not stop the batch
                logger.warning("%s: task failed: %s: %s", target, type(exc).__name__, exc)
                record = {"target": target, "design": None, "status": ERROR,
                          "reason": f"task failed ({type(exc).__name__}: {exc})",
                          "seconds": math.nan}
            future.release()
            while queue and len(owner) < _slots(client):
                running.add(submit())
            on_record(record)
            if bar is not None:
                bar.update(1)


def screen_metabolites(client: Client, model, metabolites: Sequence[str], growth_lb: float,
                       production_lb: float, solver=None, bar=None
                       ) -> tuple[list[str], dict[str, str]]:
    """:func:`cobra_gdel.batch_worker.screen` in chunks on the client's workers; the
    producible metabolites keep the order of *metabolites*."""
    n_workers = max(1, len(client.scheduler_info().get("workers", {})))
    size = max(1, math.ceil(len(metabolites) / (n_workers * SCREEN_CHUNKS_PER_WORKER)))
    chunks = [list(metabolites[i:i + size]) for i in range(0, len(metabolites), size)]
    keep: set[str] = set()
    failed: dict[str, str] = {}
    with shipped(client, model) as name:
        futures = [client.submit(run_screen, name, chunk, growth_lb, production_lb, solver,
                                 key=f"{name}-screen-{i}", pure=False)
                   for i, chunk in enumerate(chunks)]
        for future, chunk in zip(futures, chunks):
            producible, errors = future.result()
            keep.update(producible)
            failed.update(errors)
            if bar is not None:
                bar.update(len(chunk))
    return [m for m in metabolites if m in keep], failed


@contextlib.contextmanager
def local_client(n_workers: int) -> Iterator[Client]:
    """A client of a local cluster of *n_workers* single-threaded worker processes
    (its HTTP server on a free port), closed at the end of the block.

    The workers' statistical profiler is off: it samples the running task's stack every
    10 ms, which slowed these Python-heavy design tasks by about a fifth (20 gDel_minRN
    searches on e_coli_core: 14.6 s with it, 12.0 s without, 11.4 s serially).
    """
    import dask
    from distributed import LocalCluster

    with dask.config.set({"distributed.worker.profile.enabled": False}):
        cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                               dashboard_address=":0")
    with cluster, Client(cluster) as client:
        yield client

"""Batch designs: predict_many (serial and on a local dask cluster), design_all (result
files, resume), build_dataset (verified labels, manifest) and their commands."""

from __future__ import annotations

import importlib.util
import json
import math
import os
import subprocess
import sys

import cobra
import pandas as pd
import pytest

import cobra_gdel
from cobra_gdel import DeletionDesign, UnknownTargetError, check_coupling
from cobra_gdel.batch import DesignMap, predict_many, producible_targets
from cobra_gdel.batch_files import design_all, read_target_list, result_path
from cobra_gdel.cli import main
from cobra_gdel.dataset_builder import build_dataset, canonical_deletions, verified_labels

from .conftest import model_state

#: A coupled succinate design of textbook (docs/cli.rst).
SUCC_DELETIONS = ("b1611", "b1612", "b4122", "b2297", "b2458", "b1602", "b3962")
#: Targets whose predict -> repair path needs no MILP on textbook, so their designs
#: do not depend on the MILP's run-to-run variation (see the report of issue 17).
STABLE = ["succ_e", "akg_e", "3pg_c", "fum_c", "acald_c"]
CALLS: list[str] = []


def fake_design(model, target, *, fail=(), die=(), time_limit=None, **kwargs):
    """A fast stand-in design method: the check of SUCC_DELETIONS for *target*; raises
    for targets in *fail*, ends its process for targets in *die*."""
    CALLS.append(target)
    if target in die:
        os._exit(13)
    if target in fail:
        raise RuntimeError(f"boom on {target}")
    report = check_coupling(model, target, SUCC_DELETIONS)
    return DeletionDesign.from_report(report, "fake", model=model)


def misses_mal_unless_seeded(model, target, *, seeds=None, time_limit=None):
    """A method that misses mal__L_c (a budget of 0 deletions) unless it is seeded."""
    if target == "mal__L_c" and seeds is None:
        return cobra_gdel.predict_deletions(model, target, max_deletions=0,
                                            time_limit=time_limit)
    return cobra_gdel.predict_deletions(model, target, seeds=seeds, time_limit=time_limit)


def model_identity(model, target, *, time_limit=None):
    """A stand-in method whose design's method names the model object it ran on."""
    report = check_coupling(model, target, SUCC_DELETIONS)
    return DeletionDesign.from_report(report, f"model-{id(model)}", model=model)


# ---------------------------------------------------------------------------- serial


def test_importing_the_package_does_not_import_dask():
    code = ("import sys, cobra_gdel; cobra_gdel.predict_many; import cobra_gdel.batch_files, "
            "cobra_gdel.dataset_builder; print('distributed' in sys.modules, 'dask' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert out.stdout.split() == ["False", "False"]


def test_serial_table_accessor_and_model_unchanged(textbook):
    before = model_state(textbook)
    table = predict_many(textbook, ["succ_e", "glc__D_e", textbook.metabolites.akg_e,
                                    "succ_e"], progress=False)
    assert model_state(textbook) == before
    assert list(table.index) == ["succ_e", "glc__D_e", "akg_e"]
    assert table.index.name == "target"
    assert {"status", "coupled", "deletions", "growth_rate", "min_production", "method",
            "seconds", "reason", "timed_out"} <= set(table.columns)
    assert table.loc["succ_e", "status"] == "coupled" and table.loc["succ_e", "coupled"]
    assert table.loc["glc__D_e", "status"] == "no_design"
    assert "cannot produce" in table.loc["glc__D_e", "reason"]
    design = table.gdel["succ_e"]
    assert isinstance(design, DeletionDesign) and design.model is textbook
    assert tuple(sorted(design.deletions)) == table.loc["succ_e", "deletions"]
    assert table.gdel["glc__D_e"] is None
    # pandas copies attrs deeply on most operations: the designs must survive cheaply
    subset = table[table["coupled"]]
    assert subset.gdel["succ_e"] is design
    strategies = table.gdel.strategies()
    assert list(strategies.index) == ["succ_e", "akg_e"]
    assert list(strategies.columns) == [g.id for g in textbook.genes]
    assert strategies.loc["succ_e"].sum() == table.loc["succ_e", "n_deletions"]


def test_bad_input_raises_before_anything_runs(textbook):
    CALLS.clear()
    with pytest.raises(UnknownTargetError, match="succ_x"):
        predict_many(textbook, ["succ_e", "succ_x"], method=fake_design, progress=False)
    with pytest.raises(TypeError, match="one string"):
        predict_many(textbook, "succ_e", progress=False)
    with pytest.raises(TypeError, match="no keyword"):
        predict_many(textbook, ["succ_e"], method="search", predictor="auto", progress=False)
    with pytest.raises(ValueError, match="unknown method"):
        predict_many(textbook, ["succ_e"], method="magic", progress=False)
    with pytest.raises(TypeError, match="Client or a scheduler address"):
        predict_many(textbook, ["succ_e"], client=42, progress=False)
    assert CALLS == []


def test_a_raising_target_is_reported_and_the_rest_finish(textbook):
    table = predict_many(textbook, ["succ_e", "ac_e", "akg_e"], method=fake_design,
                         fail=("ac_e",), progress=False)
    assert table.loc["ac_e", "status"] == "error"
    assert "RuntimeError: boom on ac_e" in table.loc["ac_e", "reason"]
    assert table.loc["ac_e", "method"] == "fake_design"
    assert math.isnan(table.loc["ac_e", "growth_rate"])
    assert table.loc["succ_e", "status"] == "coupled"
    assert table.loc["akg_e", "status"] in ("coupled", "not_coupled")


def no_time_limit(model, target):
    """A method without a time_limit keyword."""
    return DeletionDesign.from_report(check_coupling(model, target, SUCC_DELETIONS), "plain")


def test_a_method_without_a_time_limit_keyword_runs(textbook):
    table = predict_many(textbook, ["succ_e"], method=no_time_limit, progress=False)
    assert table.loc["succ_e", "method"] == "plain" and table.loc["succ_e", "coupled"]
    with pytest.raises(TypeError, match="no keyword"):
        predict_many(textbook, ["succ_e"], method=no_time_limit, minimize=True, progress=False)


def test_a_tiny_time_limit_is_reported_in_the_row(textbook):
    table = predict_many(textbook, ["succ_e", "akg_e"], time_limit=0.001, progress=False)
    assert len(table) == 2
    assert table["timed_out"].all()
    assert table["reason"].str.contains("time limit").all()


def test_without_dask_serial_runs_and_a_client_raises_a_clear_import_error(
        textbook, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed fails
    monkeypatch.delitem(sys.modules, "cobra_gdel.batch_dask", raising=False)
    monkeypatch.delattr(cobra_gdel, "batch_dask", raising=False)
    table = predict_many(textbook, ["succ_e"], method=fake_design, progress=False)
    assert table.loc["succ_e", "coupled"]
    with pytest.raises(ImportError, match=r"pip install 'cobra_gdel\[dask\]'"):
        predict_many(textbook, ["succ_e"], method=fake_design, client="tcp://127.0.0.1:1",
                     progress=False)


def test_producible_targets(textbook):
    producible = producible_targets(textbook, progress=False)
    assert "succ_e" in producible and "ac_e" in producible
    assert "glc__D_e" not in producible  # taken up, never made
    order = [m.id for m in textbook.metabolites]
    assert producible == [m for m in order if m in set(producible)]
    assert producible_targets(textbook, metabolites=["glc__D_e", "succ_e"],
                              progress=False) == ["succ_e"]


def test_design_map_is_read_only_and_copies_to_itself():
    import copy

    designs = DesignMap({"a": None})
    assert copy.deepcopy(designs) is designs and copy.copy(designs) is designs
    assert dict(designs) == {"a": None} and len(designs) == 1
    with pytest.raises(TypeError):
        designs["b"] = None  # noqa: B018


# ---------------------------------------------------------------------- result files


def test_design_all_writes_one_file_per_target_and_resumes(textbook, tmp_path):
    CALLS.clear()
    first = design_all(textbook, ["succ_e", "ac_e"], tmp_path, method=fake_design,
                       fail=("ac_e",), progress=False)
    assert CALLS == ["succ_e", "ac_e"]
    assert result_path(tmp_path / "designs", "succ_e").is_file()
    assert not list((tmp_path / "designs").glob(".*.tmp"))  # no temporary file left
    stored = json.loads(result_path(tmp_path / "designs", "succ_e").read_text())
    assert stored["deletions"] == sorted(SUCC_DELETIONS)
    assert stored["settings"]["method"] == "fake_design"
    assert first.loc["ac_e", "status"] == "error"

    CALLS.clear()
    table = design_all(textbook, ["succ_e", "ac_e", "akg_e"], tmp_path, method=fake_design,
                       progress=False)
    assert CALLS == ["akg_e"]  # finished targets (an error too) are skipped
    assert list(table.index) == ["succ_e", "ac_e", "akg_e"]
    assert table.loc["succ_e", "deletions"] == tuple(sorted(SUCC_DELETIONS))
    summary = pd.read_csv(tmp_path / "summary.csv", index_col=0)
    assert list(summary.index) == ["succ_e", "ac_e", "akg_e"]
    assert summary.loc["succ_e", "deletions"] == " ".join(sorted(SUCC_DELETIONS))

    CALLS.clear()
    design_all(textbook, ["succ_e", "ac_e"], tmp_path, method=fake_design,
               retry_errors=True, progress=False)
    assert CALLS == ["ac_e"]
    with pytest.raises(ValueError, match="other settings"):
        design_all(textbook, ["succ_e"], tmp_path, method=fake_design, growth_lb=0.01,
                   progress=False)


def test_odd_target_ids_get_safe_file_names(tmp_path):
    assert result_path(tmp_path, "succ_e").name == "succ_e.json"
    path = result_path(tmp_path, "a/b:c")
    assert path.parent == tmp_path and "/" not in path.name


def test_read_target_list(tmp_path):
    (tmp_path / "t.txt").write_text("# targets\nsucc_e\n\nakg_e  # alpha-kg\nsucc_e\n")
    assert read_target_list(tmp_path / "t.txt") == ["succ_e", "akg_e"]
    (tmp_path / "s.csv").write_text("metabolite,b1,b2\nsucc_e,1,0\nac_e,0,1\n")
    assert read_target_list(tmp_path / "s.csv") == ["succ_e", "ac_e"]
    with pytest.raises(FileNotFoundError):
        read_target_list(tmp_path / "missing.txt")


def test_build_dataset_writes_a_verified_training_folder(textbook, tmp_path):
    before = model_state(textbook)
    dataset = build_dataset(textbook, ["akg_e", "for_e", "glc__D_e"], tmp_path,
                            smiles={"akg_e": "OC(=O)CCC(=O)C(O)=O"},
                            sequences={"b0008": "MTDKLTSLRQ"}, progress=False)
    assert model_state(textbook) == before
    assert set(dataset.targets) <= {"akg_e", "for_e"} and dataset.n_targets >= 1
    assert dataset.genes == [g.id for g in textbook.genes]
    strategies = pd.read_csv(tmp_path / "strategies.csv")
    assert strategies.columns[0] == "metabolite"
    for target, row in strategies.set_index("metabolite").iterrows():
        deleted = [g for g, v in row.items() if v == 1]
        assert check_coupling(textbook, target, deleted).coupled
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert "glc__D_e" in manifest["left_out"]
    assert manifest["targets"]["glc__D_e"]["in_strategies"] is False
    assert manifest["settings"]["method"] == "search"
    assert manifest["versions"]["cobra_gdel"] == cobra_gdel.__version__
    assert manifest["targets"]["akg_e"]["seconds"] > 0
    assert dataset.smiles["akg_e"] == "OC(=O)CCC(=O)C(O)=O" and dataset.smiles["succ_e"] is None
    assert dataset.sequences == {"b0008": "MTDKLTSLRQ"}
    out = tmp_path / "prior.json"
    assert main(["train", "--data", str(tmp_path), "--predictor", "prior",
                 "--output", str(out)]) == 0
    with pytest.raises(ValueError, match="maximal"):
        build_dataset(textbook, ["akg_e"], tmp_path, minimize=True, progress=False)


def test_build_dataset_from_predict_deletions_maximal_designs(tmp_path):
    model = cobra.io.load_model("textbook")
    dataset = build_dataset(model, ["succ_e", "akg_e"], tmp_path, method="predict",
                            progress=False)
    assert set(dataset.targets) == {"succ_e", "akg_e"}
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["settings"]["method"] == "predict"
    assert manifest["settings"]["minimize"] is False
    strategies = pd.read_csv(tmp_path / "strategies.csv").set_index("metabolite")
    for target, row in strategies.iterrows():
        deleted = [g for g, v in row.items() if v == 1]
        assert len(deleted) > 6  # maximal designs, not the 3-4 gene minimal ones
        assert check_coupling(model, target, deleted).coupled
    with pytest.raises(ValueError, match="method"):
        build_dataset(model, ["akg_e"], tmp_path / "x", method="milp", progress=False)


def test_canonical_deletions_keep_the_reactions_and_prefer_the_larger_gene_id(textbook):
    from cobra_gdel.gpr import RuleSet

    rules = RuleSet(textbook)
    # SUCDi = b0721 and b0722 and b0723 and b0724: any one subunit switches it off
    assert canonical_deletions(rules, {"b0721"}) == {"b0724"}
    # FUM = b1611 or b1612 or b4122: all three are needed; a second SUCDi subunit goes
    fum = {"b1611", "b1612", "b4122"}
    assert canonical_deletions(rules, fum | {"b0721", "b0722"}) == fum | {"b0724"}
    found = set(SUCC_DELETIONS) | {"b0721", "b0723"}
    canonical = canonical_deletions(rules, found, protected={"s0001"})
    assert rules.disabled(canonical) == rules.disabled(found)
    assert canonical_deletions(rules, canonical) == canonical
    assert canonical_deletions(rules, set()) == frozenset()
    # with an order, the gene that comes later there is preferred
    order = [g.id for g in textbook.genes]
    sdh = ["b0721", "b0722", "b0723", "b0724"]
    latest = max(sdh, key=order.index)
    assert canonical_deletions(rules, {"b0724"}, order=order) == {latest}
    assert canonical_deletions(rules, {"b0721"}, order=list(reversed(sdh))) == {"b0721"}


def test_verified_labels_leave_out_rows_that_fail_the_recheck(textbook):
    table = pd.DataFrame({"status": ["coupled", "coupled", "not_coupled"],
                          "coupled": [True, True, False],
                          "deletions": [SUCC_DELETIONS, (), ("b0008",)],
                          "reason": ["", "", "no luck"]},
                         index=pd.Index(["succ_e", "ac_e", "akg_e"], name="target"))
    labels, left_out = verified_labels(textbook, table, genes="as_found")
    assert list(labels.index) == ["succ_e"]
    assert labels.loc["succ_e"].sum() == len(SUCC_DELETIONS)
    canonical, _left_out = verified_labels(textbook, table)
    assert list(canonical.index) == ["succ_e"]
    with pytest.raises(ValueError, match="canonical"):
        verified_labels(textbook, table, genes="some")
    assert left_out["ac_e"].startswith("re-check failed")
    assert left_out["akg_e"] == "not_coupled: no luck"


def test_design_all_command(tmp_path, capsys):
    targets = tmp_path / "targets.txt"
    targets.write_text("succ_e\nglc__D_e\n")
    assert main(["design-all", "textbook", "--targets", str(targets), "--output",
                 str(tmp_path / "out"), "--method", "search", "--quiet"]) == 0
    assert "2 targets" in capsys.readouterr().out
    summary = pd.read_csv(tmp_path / "out" / "summary.csv", index_col=0)
    assert summary.loc["glc__D_e", "status"] == "no_design"
    assert main(["design-all", "textbook", "--targets", "missing.txt", "--output",
                 str(tmp_path / "x")]) == 2
    assert main(["design-all", "textbook", "--targets", "succ_e", "--output",
                 str(tmp_path / "x"), "--method", "search", "--predictor", "p.pt"]) == 2


# ---------------------------------------------------------------------- dask cluster

needs_dask = pytest.mark.skipif(
    importlib.util.find_spec("distributed") is None,
    reason="dask.distributed is not installed (pip install 'cobra_gdel[dask]')")


def _cluster(**config):
    import cloudpickle
    import dask
    import distributed

    # workers must unpickle fake_design without importing this test module
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    with dask.config.set(config):
        return distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                        dashboard_address=":0")


@pytest.fixture(scope="module")
def client():
    import distributed

    cluster = _cluster()
    with distributed.Client(cluster) as dask_client:
        yield dask_client
    cluster.close()


@needs_dask
def test_cluster_and_serial_give_the_same_designs(client, textbook):
    # The shared fixture has served many tests by now (its cached checker has seen
    # other targets), while the workers start fresh: designs must not depend on that.
    before = model_state(textbook)
    serial = predict_many(textbook, STABLE, progress=False)
    parallel = predict_many(textbook, STABLE, client=client, progress=False)
    assert model_state(textbook) == before
    assert list(parallel.index) == STABLE
    pd.testing.assert_series_equal(serial["deletions"], parallel["deletions"])
    pd.testing.assert_series_equal(serial["status"], parallel["status"])
    assert parallel.gdel["succ_e"].model is textbook
    assert parallel.gdel["succ_e"].coupled


@needs_dask
def test_cluster_reports_a_raising_target_and_a_tiny_time_limit(textbook, client):
    table = predict_many(textbook, ["succ_e", "ac_e", "akg_e"], client=client,
                         method=fake_design, fail=("ac_e",), progress=False)
    assert table.loc["ac_e", "status"] == "error" and "boom" in table.loc["ac_e", "reason"]
    assert table.loc["succ_e", "coupled"]
    timed = predict_many(textbook, ["succ_e", "akg_e"], client=client, time_limit=0.001,
                         progress=False)
    assert timed["timed_out"].all()


@needs_dask
def test_cluster_retries_a_miss_from_the_batch_designs(textbook, client):
    table = predict_many(textbook, ["fum_c", "mal__L_c"], client=client,
                         method=misses_mal_unless_seeded, progress=False)
    assert table["coupled"].all()
    assert "+seed[fum_c" in table.loc["mal__L_c", "method"]
    assert table.gdel["mal__L_c"].model is textbook


@needs_dask
def test_scheduler_address_and_screen_on_the_cluster(textbook, client):
    address = client.scheduler.address
    table = predict_many(textbook, ["succ_e"], client=address, method=fake_design,
                         progress=False)
    assert table.loc["succ_e", "coupled"]
    assert producible_targets(textbook, client=client, progress=False) == \
        producible_targets(textbook, progress=False)
    left = client.run(lambda dask_worker: [n for n in dask_worker.plugins
                                           if n.startswith("cobra_gdel-")])
    assert not any(left.values())  # every batch removed its plugin


@needs_dask
def test_workers_keep_an_unchanged_model_between_batches(client):
    import cobra

    model = cobra.io.load_model("textbook")  # a model no other test shipped
    targets = ["succ_e", "ac_e", "akg_e", "for_e"]
    first = predict_many(model, targets, client=client, method=model_identity, progress=False)
    second = predict_many(model, targets, client=client, method=model_identity,
                          progress=False)
    used = set(first["method"]) | set(second["method"])
    assert len(used) <= 2  # one model object per worker, reused by the second batch
    model.reactions.ACALD.upper_bound = 999.0  # changed: shipped again
    third = predict_many(model, targets, client=client, method=model_identity,
                         progress=False)
    assert not set(third["method"]) & used


@needs_dask
def test_a_worker_that_dies_is_reported_and_the_rest_finish(textbook):
    import distributed

    # no retry of the target that kills its worker (by default the scheduler tries it
    # on 3 more workers before it gives up)
    cluster = _cluster(**{"distributed.scheduler.allowed-failures": 0})
    try:
        with distributed.Client(cluster) as dask_client:
            table = predict_many(textbook, ["succ_e", "ac_e", "akg_e", "for_e"],
                                 client=dask_client, method=fake_design, die=("ac_e",),
                                 progress=False)
    finally:
        cluster.close()
    assert table.loc["ac_e", "status"] == "error"
    assert "KilledWorker" in table.loc["ac_e", "reason"]
    assert table.drop("ac_e")["status"].isin(["coupled", "not_coupled"]).all()

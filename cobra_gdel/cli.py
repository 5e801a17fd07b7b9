"""The ``cobra-gdel`` command line.

Sub-commands: ``check``, ``search``, ``predict`` (designs on a model),
``design-all`` (many targets, resumable, serial or on dask), ``build-dataset``
(training data from the gDel_minRN MILP) and ``train``, ``evaluate`` (predictors
on a strategy data folder). Exit status: 0 on success, 1 when the design or
deletion set is not coupled (a batch: when some target ended in an error), 2 on bad
input or a failed solve (the message goes to standard error).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

logger = logging.getLogger(__name__)

#: Help of every --solver option.
_SOLVER_HELP = ("optlang solver (glpk, hybrid, cplex, gurobi) for every LP and MILP; default: "
                "the model's for the LPs and HiGHS for the MILPs when installed, the fastest "
                "mix (hybrid puts every LP on HiGHS too, which is slower)")

_READERS = {
    ".xml": "read_sbml_model", ".sbml": "read_sbml_model", ".gz": "read_sbml_model",
    ".json": "load_json_model", ".mat": "load_matlab_model",
    ".yml": "load_yaml_model", ".yaml": "load_yaml_model",
}


def load_model(spec: str):
    """Load *spec*: an SBML/JSON/MAT/YAML path or a name ``cobra.io.load_model`` knows."""
    import cobra.io

    path = Path(spec)
    if path.exists():
        suffix = path.suffixes[-2] if path.suffix == ".gz" and len(path.suffixes) > 1 else path.suffix
        reader = _READERS.get(suffix.lower())
        if reader is None:
            raise ValueError(f"cannot tell the format of {spec!r} (use .xml, .json, .mat or .yml)")
        return getattr(cobra.io, reader)(str(path))
    if any(sep in spec for sep in ("/", "\\")) or path.suffix.lower() in _READERS:
        raise FileNotFoundError(f"model file {spec!r} does not exist")
    return cobra.io.load_model(spec)


def _genes(text: str | None) -> list[str]:
    return [g.strip() for g in (text or "").split(",") if g.strip()]


def _emit_design(design, as_json: bool) -> int:
    if as_json:
        sys.stdout.write(json.dumps(design.to_dict(), indent=2) + "\n")
    else:
        sys.stdout.write(design.to_string() + "\n")
    return 0 if design.coupled else 1


def _cmd_check(args) -> int:
    from .coupling import check_coupling

    model = load_model(args.model)
    report = check_coupling(model, args.target, _genes(args.delete), args.growth_lb,
                            args.production_lb, solver=args.solver)
    if args.json:
        sys.stdout.write(json.dumps(report.to_dict(), indent=2) + "\n")
    else:
        sys.stdout.write(report.to_string() + "\n")
    return 0 if report.coupled else 1


def _cmd_search(args) -> int:
    from .search import search_deletions

    model = load_model(args.model)
    design = search_deletions(model, args.target, growth_lb=args.growth_lb,
                              production_lb=args.production_lb,
                              max_iterations=args.max_iterations, time_limit=args.time_limit,
                              minimize=args.minimize, solver=args.solver)
    return _emit_design(design, args.json)


def _cmd_improve(args) -> int:
    from .design import improve

    model = load_model(args.model)
    design = improve(model, args.target, _genes(args.delete), growth_lb=args.growth_lb,
                     production_lb=args.production_lb, time_limit=args.time_limit,
                     solver=args.solver)
    return _emit_design(design, args.json)


def _cmd_predict(args) -> int:
    from .predict import predict_deletions

    model = load_model(args.model)
    result = predict_deletions(model, args.target, smiles=args.smiles, sequences=args.fasta,
                               growth_lb=args.growth_lb, production_lb=args.production_lb,
                               minimize=not args.maximal, max_deletions=args.max_deletions,
                               n_designs=args.designs, device=args.device,
                               time_limit=args.time_limit, solver=args.solver,
                               strict=args.strict)
    if args.designs is None:
        return _emit_design(result, args.json)
    if args.json:
        sys.stdout.write(json.dumps([d.to_dict() for d in result], indent=2) + "\n")
    else:
        sys.stdout.write(result.to_frame().to_string() + "\n")
    return 0 if len(result) else 1


def _dataset(args):
    from .data import StrategyDataset

    return StrategyDataset.from_folder(Path(args.data), model_id=args.model_id)


def _cmd_train(args) -> int:
    from .evaluation import fit_predictor
    from .predictors import make_predictor

    dataset = _dataset(args)
    predictor = make_predictor(args.predictor, device=args.device, progress=True)
    reads_model = getattr(predictor, "reads_model", False)  # network, gated: model.json
    fit_predictor(predictor, dataset, _folder_model(Path(args.data)) if reads_model else None)
    predictor.save(args.output)
    sys.stdout.write(f"trained {args.predictor} on {dataset.n_targets} targets x "
                     f"{len(dataset.genes)} genes of {dataset.model_id}; saved to {args.output}\n")
    return 0


def _cmd_evaluate(args) -> int:
    from .data import StrategyDataset
    from .evaluation import cross_validate, format_table, leave_one_model_out

    folders = [Path(d) for d in args.data]
    if args.lomo:
        if len(folders) < 2:
            raise ValueError("--lomo needs at least two --data folders (one per model)")
        datasets = [StrategyDataset.from_folder(f) for f in folders]
        models = [_folder_model(f) for f in folders]
        table = leave_one_model_out(datasets, models, args.predictor)
        sys.stdout.write(_lomo_markdown(table) + "\n")
    else:
        if len(folders) != 1:
            raise ValueError("pass one --data folder (several only with --lomo)")
        dataset = StrategyDataset.from_folder(folders[0], model_id=args.model_id)
        from .predictors import PREDICTORS

        klass = PREDICTORS.get(args.predictor.lower().replace("-", "_"), (None,))[0]
        model = _folder_model(folders[0]) if getattr(klass, "reads_model", False) else None
        table = cross_validate(dataset, args.predictor, folds=args.folds, repeats=args.repeats,
                               seed=args.seed, device=args.device, progress=not args.quiet,
                               groups=args.groups, model=model, baseline=True)
        sys.stdout.write(format_table(table) + "\n")
    if args.output:
        table.to_csv(args.output, index=False)
    return 0


def _targets(spec: str):
    """``all``, a targets file, or comma-separated ids."""
    from .batch_files import read_target_list

    if spec == "all":
        return "all"
    if Path(spec).is_file():
        return read_target_list(spec)
    if any(sep in spec for sep in ("/", "\\")) or Path(spec).suffix in (".txt", ".csv", ".tsv"):
        raise FileNotFoundError(f"targets file {spec!r} does not exist")
    return [t.strip() for t in spec.split(",") if t.strip()]


def _batch_kwargs(args) -> dict:
    kwargs = {"growth_lb": args.growth_lb, "production_lb": args.production_lb}
    if args.solver:
        kwargs["solver"] = args.solver
    return kwargs


def _emit_batch(table, output: str) -> int:
    counts = table["status"].value_counts()
    parts = ", ".join(f"{n} {status}" for status, n in counts.items())
    sys.stdout.write(f"{len(table)} targets: {parts}; summary in {Path(output) / 'summary.csv'}\n")
    return 1 if (table["status"] == "error").any() else 0


def _cmd_design_all(args) -> int:
    from .batch import open_client
    from .batch_files import design_all

    model = load_model(args.model)
    kwargs = _batch_kwargs(args)
    kwargs["minimize"] = args.minimize
    if args.method == "predict":
        kwargs["device"] = args.device
        if args.predictor:
            kwargs["predictor"] = args.predictor
    elif args.predictor:
        raise ValueError("--predictor is for --method predict")
    with open_client(args.workers, args.scheduler) as client:
        table = design_all(model, _targets(args.targets), args.output, client=client,
                           method=args.method, time_limit=args.time_limit,
                           retry_errors=args.retry_errors, progress=not args.quiet, **kwargs)
    return _emit_batch(table, args.output)


def _cmd_build_dataset(args) -> int:
    from .batch import open_client
    from .dataset_builder import build_dataset

    model = load_model(args.model)
    kwargs = _batch_kwargs(args)
    if args.method == "search":
        kwargs["max_iterations"] = args.max_iterations
    with open_client(args.workers, args.scheduler) as client:
        dataset = build_dataset(model, _targets(args.targets), args.output, client=client,
                                method=args.method,
                                time_limit=args.time_limit, smiles=args.smiles,
                                sequences=args.fasta, genes=args.genes,
                                retry_errors=args.retry_errors,
                                progress=not args.quiet, **kwargs)
    sys.stdout.write(f"{dataset.n_targets} verified strategies x {len(dataset.genes)} genes "
                     f"written to {Path(args.output) / 'strategies.csv'} (manifest.json lists "
                     "the targets left out)\n")
    return 0


def _batch_parser(sub, name: str, help_text: str) -> argparse.ArgumentParser:
    p = sub.add_parser(name, help=help_text)
    p.add_argument("model", help="SBML/JSON/MAT/YAML file, or a name cobra.io.load_model "
                                 "knows (e.g. textbook)")
    p.add_argument("--targets", default="all",
                   help="'all' (every metabolite the model can produce while it grows), a "
                        "file (one id per line, or a CSV with a 'metabolite' column such as "
                        "strategies.csv), or comma-separated ids (default all)")
    p.add_argument("--output", required=True,
                   help="folder: one JSON file per target (a stopped run resumes), "
                        "summary.csv at the end")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, default=None,
                       help="run on a local dask cluster of N single-threaded workers")
    where.add_argument("--scheduler", default=None,
                       help="run on the dask cluster of this scheduler address")
    p.add_argument("--time-limit", type=float, default=60.0,
                   help="seconds per target (default 60)")
    p.add_argument("--growth-lb", type=float, default=0.001, help="default 0.001")
    p.add_argument("--production-lb", type=float, default=0.001, help="default 0.001")
    p.add_argument("--solver", default=None, help=_SOLVER_HELP)
    p.add_argument("--retry-errors", action="store_true",
                   help="run again the targets whose stored result is an error")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def _batch_commands(sub) -> None:
    """The ``design-all`` and ``build-dataset`` sub-commands."""
    p = _batch_parser(sub, "design-all", "design many targets (one result file each; "
                                         "resumable; serial or on dask)")
    p.add_argument("--method", choices=["predict", "search"], default="predict",
                   help="predict (predictor, verify, repair) or search (the gDel_minRN "
                        "MILP alone); default predict")
    p.add_argument("--minimize", action="store_true", help="trim each design to a minimal one")
    p.add_argument("--predictor", default=None,
                   help="predictor file (cobra-gdel train) or bundled model id; default auto")
    p.add_argument("--device", default=None, help="cpu, cuda or auto (default cpu)")
    p.set_defaults(func=_cmd_design_all)

    p = _batch_parser(sub, "build-dataset", "training data for any model: maximal gDel_minRN "
                                            "designs, verified, as a strategy data folder")
    p.add_argument("--method", choices=["search", "predict"], default="search",
                   help="search (the gDel_minRN MILP, default) or predict (predict, verify, "
                        "repair: maximal designs; far more genome-scale targets within a "
                        "time limit)")
    p.add_argument("--max-iterations", type=int, default=10,
                   help="MILP solves per target (default 10; search only)")
    p.add_argument("--smiles", default=None,
                   help="smiles.tsv with structures the model's annotations lack")
    p.add_argument("--fasta", default=None,
                   help="protein FASTA with sequences the model's annotations lack")
    p.add_argument("--genes", choices=["canonical", "as_found"], default="canonical",
                   help="canonical (default): per design, the minimal gene set that switches "
                        "off the same reactions (larger gene id preferred among equivalent "
                        "subunits/isozymes); as_found: the genes as the MILP decoded them")
    p.set_defaults(func=_cmd_build_dataset)


def _folder_model(folder: Path):
    """The ``model.json`` of a strategy data folder."""
    path = folder / "model.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: this predictor reads the model")
    return load_model(str(path))


def _lomo_markdown(table) -> str:
    """Leave-one-model-out rows as a markdown table (in %)."""
    lines = ["| held out | predictor | accuracy | precision | recall | f1 | auc |",
             "|---|---|---|---|---|---|---|"]
    for row in table.itertuples(index=False):
        cells = [f"{100 * getattr(row, m):.2f}" for m in ("accuracy", "precision", "recall", "f1")]
        cells.append("–" if row.auc != row.auc else f"{100 * row.auc:.2f}")
        lines.append(f"| {row.held_out} | {row.predictor} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _data_args(p, several: bool = False) -> None:
    help_data = "folder with strategies.csv, proteins.fasta, smiles.tsv (and model.json)"
    if several:
        p.add_argument("--data", required=True, action="append",
                       help=help_data + "; repeat it with --lomo")
    else:
        p.add_argument("--data", required=True, help=help_data)
    p.add_argument("--model-id", default=None, help="model id (default: folder name)")
    p.add_argument("--predictor", default="deepgdel",
                   help="prior, bpm, dnn, deepgdel, deepgdel_res, knn, fpnet, network or "
                        "gated (the last two read the folder's model.json) (default deepgdel)")
    p.add_argument("--device", default="cpu", help="cpu, cuda or auto")


def _evaluate_parser(sub) -> None:
    p = sub.add_parser("evaluate", help="cross-validate a predictor over target metabolites "
                                        "(beside the fold prior), or leave one model out")
    _data_args(p, several=True)
    p.add_argument("--groups", choices=["none", "structure", "cluster"], default="cluster",
                   help="folds keep groups together: cluster (default; Tanimoto >= 0.7 "
                        "single-linkage clusters of Morgan fingerprints), structure "
                        "(identical SMILES) or none (random split)")
    p.add_argument("--lomo", action="store_true",
                   help="leave one model out over several --data folders (a predictor that "
                        "reads the model, e.g. network), beside the reaction-id-transferred "
                        "prior and the best constant answer")
    p.add_argument("--folds", type=int, default=10)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--output", default=None, help="CSV file: predictor,metric,mean,std")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_evaluate)


def _parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="cobra-gdel",
        description="Learned, FBA-verified gene-deletion designs for growth-coupled production.")
    parser.add_argument("--version", action="version", version=f"cobra_gdel {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="log progress (-v) or details (-vv) to standard error")
    sub = parser.add_subparsers(dest="command", required=True)

    def design_args(p):
        p.add_argument("model", help="SBML/JSON/MAT/YAML file, or a name cobra.io.load_model "
                                     "knows (e.g. textbook)")
        p.add_argument("target", help="target metabolite id, e.g. succ_e")
        p.add_argument("--growth-lb", type=float, default=0.001, help="default 0.001")
        p.add_argument("--production-lb", type=float, default=0.001, help="default 0.001")
        p.add_argument("--json", action="store_true", help="print JSON")
        p.add_argument("--solver", default=None, help=_SOLVER_HELP)

    p = sub.add_parser("check", help="check whether deleting genes couples a target to growth")
    design_args(p)
    p.add_argument("--delete", default="", help="comma-separated gene ids, e.g. b0001,b0002")
    p.set_defaults(func=_cmd_check)

    p = sub.add_parser("search", help="gDel_minRN MILP search for a coupled deletion set")
    design_args(p)
    p.add_argument("--minimize", action="store_true", help="trim to a minimal design")
    p.add_argument("--max-iterations", type=int, default=10)
    p.add_argument("--time-limit", type=float, default=None, help="seconds")
    p.set_defaults(func=_cmd_search)

    p = sub.add_parser("improve", help="look for a smaller or more strongly coupled design "
                                       "near a coupled one (exchange moves)")
    design_args(p)
    p.add_argument("--delete", required=True,
                   help="the coupled design: comma-separated gene ids, e.g. b0001,b0002")
    p.add_argument("--time-limit", type=float, default=None, help="seconds")
    p.set_defaults(func=_cmd_improve)

    p = sub.add_parser("predict", help="predict deletions with the bundled predictor, verify "
                                       "and repair")
    design_args(p)
    p.add_argument("--smiles", default=None, help="SMILES of a target without a bundled one")
    p.add_argument("--fasta", default=None, help="protein FASTA for genes without one")
    p.add_argument("--maximal", action="store_true",
                   help="return the verified maximal design instead of a minimal one")
    p.add_argument("--minimize", action="store_true",
                   help="return a minimal design (the default; kept for older scripts)")
    p.add_argument("--max-deletions", type=int, default=None,
                   help="at most this many knock-outs (never a larger design)")
    p.add_argument("--designs", type=int, default=None,
                   help="print up to this many distinct minimal designs, best first")
    p.add_argument("--device", default=None, help="cpu, cuda or auto (default cpu)")
    p.add_argument("--time-limit", type=float, default=60.0,
                   help="seconds for the whole call (default 60: half for repair from the "
                        "predicted scores, the rest from the frequency prior if the first "
                        "fails)")
    p.add_argument("--strict", action="store_true",
                   help="fail on a missing input (no bundled predictor fits, no SMILES, genes "
                        "without sequences) instead of filling it (the transferable predictor "
                        "or the frequency prior, with a warning)")
    p.set_defaults(func=_cmd_predict)

    _batch_commands(sub)

    p = sub.add_parser("train", help="fit a predictor on a whole strategy data folder")
    _data_args(p)
    p.add_argument("--output", required=True, help="file to save the predictor to")
    p.set_defaults(func=_cmd_train)

    _evaluate_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    from ._highs import banner_to_stderr
    from .exceptions import CobraGdelError

    args = _parser().parse_args(argv)
    level = {0: logging.WARNING, 1: logging.INFO}.get(args.verbose, logging.DEBUG)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    banner_to_stderr()  # standard output is for results (--json, tables)
    try:
        return args.func(args)
    except (CobraGdelError, ValueError, FileNotFoundError, KeyError) as exc:
        sys.stderr.write(f"cobra-gdel {args.command}: error: {exc}\n")
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

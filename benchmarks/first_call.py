"""What a user's first ``predict_deletions`` call on a model costs, against later calls.

Each model runs in a fresh Python process (as a script, a notebook kernel, the command
line or a batch worker would): import cobra_gdel, load the model, then time three calls
in that process: the first target (cold: every per-model cache is built then), a second
target, and the first target again (warm). ``first/repeat`` is the cold call over the
warm call of the same target in the same process; both must return the same design.

Usage::

    python benchmarks/first_call.py                       # every model below
    python benchmarks/first_call.py --models textbook iML1515 --write-doc

iML1515 and iMM904 are read from the data folder (``COBRA_GDEL_DATA`` or
``../shared/data``) and skipped without it; textbook, iJO1366 and Salmonella ship with
cobra; ``textbook-renamed`` is textbook with every gene id and the model id changed
(what a user's own organism looks like to the package: the transferable predictor).
"""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

#: model → (first target, second target): designs found in docs/benchmarks.md's tables.
TARGETS = {
    "textbook": ("succ_e", "etoh_e"),
    "textbook-renamed": ("succ_e", "etoh_e"),
    "iMM904": ("glyc_e", "akg_m"),
    "iML1515": ("utp_c", "adp_c"),
    "iJO1366": ("oxam_c", "utp_c"),
    "salmonella": ("mal__L_c", "kdo8p_c"),
}
SHIPPED = {"textbook", "iJO1366", "salmonella"}


def _load(name: str):
    import cobra

    if name == "textbook-renamed":  # a user's own organism: no bundled predictor fits
        from benchmarks.transfer import _renamed

        return _renamed(cobra.io.load_model("textbook"))
    if name in SHIPPED:
        return cobra.io.load_model(name)
    from cobra_gdel.data import data_dir

    folder = data_dir(name)
    if folder is None:
        return None
    return cobra.io.load_json_model(str(folder / "model.json"))


def child(name: str, time_limit: float) -> dict:
    """Run in the fresh process: the timings of one model."""
    start = time.perf_counter()
    import cobra_gdel  # noqa: F401  (registers model.predict_deletions)

    row = {"model": name, "import_s": time.perf_counter() - start}
    start = time.perf_counter()
    model = _load(name)
    if model is None:
        return {"model": name, "skipped": "no data folder (set COBRA_GDEL_DATA)"}
    row["load_s"] = time.perf_counter() - start
    first, second = TARGETS[name]
    designs = []
    for key, target in (("first", first), ("second", second), ("repeat", first)):
        start = time.perf_counter()
        design = model.predict_deletions(target, time_limit=time_limit)
        row[f"{key}_s"] = time.perf_counter() - start
        row[f"{key}_deletions"] = len(design.deletions) if design.coupled else None
        designs.append(sorted(design.deletions))
    row.update(first_target=first, second_target=second, torch="torch" in sys.modules,
               same_design=designs[0] == designs[2],
               ratio=row["first_s"] / row["repeat_s"])
    return row


def _run(name: str, time_limit: float) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", name,
                          "--time-limit", str(time_limit)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(TARGETS), choices=list(TARGETS))
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--write-doc", action="store_true",
                        help="replace the first-call section of docs/benchmarks.md")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        logging.disable(logging.WARNING)
        print(json.dumps(child(args.child, args.time_limit)))
        return
    import pandas as pd

    from benchmarks._report import machine, markdown_table, write_section

    rows = [_run(name, args.time_limit) for name in args.models]
    skipped = [r for r in rows if "skipped" in r]
    for r in skipped:
        print(f"{r['model']}: skipped, {r['skipped']}")
    frame = pd.DataFrame([r for r in rows if "skipped" not in r])
    if frame.empty:
        return
    columns = ["model", "first_target", "import_s", "load_s", "first_s", "first_deletions",
               "second_target", "second_s", "repeat_s", "same_design", "torch", "ratio"]
    frame = frame[columns].rename(columns={"ratio": "first/repeat"})
    table = markdown_table(frame)
    print(table)
    if args.write_doc:
        command = "python benchmarks/first_call.py " + " ".join(
            ["--models", *args.models, "--time-limit", f"{args.time_limit:g}", "--write-doc"])
        write_section("first_call", "\n".join([
            "## First call on a model (benchmarks/first_call.py)", "",
            f"Command: `{command}` ({machine()}). Each model in a fresh process: "
            "`import cobra_gdel`, load the model, then `model.predict_deletions` with its "
            f"defaults (time limit {args.time_limit:g} s) on the first target (cold: the "
            "per-model caches are built then), on a second target, and on the first one "
            "again (warm); `first/repeat` is the cold call over the warm one; `torch`: whether "
            "the process imported torch. Seconds.",
            "", table]))


if __name__ == "__main__":
    main()

"""How long each lesson takes a student: every solution notebook run top to bottom.

    python benchmarks/lesson_times.py [--profile classroom] [--lessons 01 03] [--json out.json]

Each notebook runs in a fresh kernel (nbclient), in order, in one scratch folder that starts
empty: the times are those of a student's first pass through the course, where a lesson finds the
runs that earlier lessons saved in the same folder (lesson 03 compares with lesson 02's run). For each lesson the table gives the
whole notebook's wall time and its training part, the cells that train a model (``gc.train``,
``.fit(``, lesson 01's ``gan_1d.watch``, the 2-D lab's and the style transfer's training calls), both from the kernel's own
timestamps of each cell. The numbers for the README's course map come from here.
"""

import argparse
import datetime
import json
import os
import pathlib
import shutil
import sys
import tempfile
import time

import nbformat
from nbclient import NotebookClient

ROOT = pathlib.Path(__file__).resolve().parents[1]
TRAINING_CALLS = ("gc.train(", ".fit(", "lab2d.train(", "gan_1d.watch(", "gc.style.transfer(", ".run(")


def cell_seconds(cell):
    """The kernel's time for one executed code cell, from nbclient's timing metadata."""
    timing = cell.get("metadata", {}).get("execution", {})
    start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not (start and end):
        return 0.0
    parse = datetime.datetime.fromisoformat
    return (parse(end.replace("Z", "+00:00")) - parse(start.replace("Z", "+00:00"))).total_seconds()


def is_training(cell):
    return cell.cell_type == "code" and any(call in cell.source for call in TRAINING_CALLS)


def time_lesson(path, profile, timeout, scratch):
    """``{"lesson", "seconds", "training_seconds", "cells"}`` for one solution notebook run in ``scratch``."""
    copy = pathlib.Path(scratch) / path.name
    shutil.copy(path, copy)
    nb = nbformat.read(copy, as_version=4)
    env = {**os.environ, "GAN_COURSE_PROFILE": profile}
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=True,
                            resources={"metadata": {"path": str(scratch)}})
    began = time.perf_counter()
    client.execute(env=env)  # the kernel's environment: this one with the profile
    wall = time.perf_counter() - began
    code = [c for c in nb.cells if c.cell_type == "code"]
    return {"lesson": path.stem, "profile": profile, "seconds": round(wall, 1),
            "training_seconds": round(sum(cell_seconds(c) for c in code if is_training(c)), 1),
            "cells": len(code)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="classroom", choices=["quick", "classroom", "full"])
    parser.add_argument("--lessons", nargs="*", default=None, help="lesson numbers, e.g. 01 07")
    parser.add_argument("--timeout", type=int, default=3600, help="seconds per cell at most")
    parser.add_argument("--json", default=None, help="also write the rows here")
    args = parser.parse_args(argv)

    paths = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))
    if args.lessons:
        paths = [p for p in paths if p.name[:2] in args.lessons]
    if not paths:
        sys.exit(f"no solution notebook matches --lessons {' '.join(args.lessons)}")
    print(f"{'lesson':<32} {'minutes':>8} {'training':>9} {'cells':>6}", flush=True)
    rows = []
    with tempfile.TemporaryDirectory(prefix="lesson-times-") as scratch:
        for path in paths:
            row = time_lesson(path, args.profile, args.timeout, scratch)
            rows.append(row)
            print(f"{row['lesson']:<32} {row['seconds'] / 60:>8.1f} "
                  f"{row['training_seconds'] / 60:>9.1f} {row['cells']:>6}", flush=True)
            if args.json:
                pathlib.Path(args.json).write_text(json.dumps(rows, indent=1) + "\n")
    return rows


if __name__ == "__main__":
    main()

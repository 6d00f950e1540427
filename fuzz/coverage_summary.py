#!/usr/bin/env python3
"""Summarizes `llvm-cov export` JSON for the fuzz campaign: line coverage of
src/ (and its subdirectories) and secure/ in percent, and every function
defined in secure/ that no input reached.

usage: coverage_summary.py REPO_ROOT EXPORT.json [LABEL]
"""
import json
import os
import sys
from collections import defaultdict


def main():
    root, path = os.path.realpath(sys.argv[1]), sys.argv[2]
    label = sys.argv[3] if len(sys.argv) > 3 else ""
    data = json.load(open(path))["data"][0]
    lines = defaultdict(lambda: [0, 0])  # directory -> [covered, count]
    for f in data["files"]:
        rel = os.path.relpath(os.path.realpath(f["filename"]), root)
        top = rel.split(os.sep)[0]
        if top not in ("src", "secure"):
            continue
        summary = f["summary"]["lines"]
        for key in {top, os.path.dirname(rel)}:
            lines[key][0] += summary["covered"]
            lines[key][1] += summary["count"]
    for key in sorted(lines):
        covered, count = lines[key]
        pct = 100.0 * covered / count if count else 0.0
        print(f"coverage{label}: {key + '/':14s} lines {covered:6d}/{count:6d}  {pct:5.1f}%")

    # A function of a header is instantiated in many translation units: it
    # counts as reached when any instance ran.
    reached = defaultdict(int)
    for fn in data["functions"]:
        files = [os.path.relpath(os.path.realpath(x), root) for x in fn["filenames"]]
        if not files or not files[0].startswith("secure" + os.sep):
            continue
        key = (files[0], fn["name"])
        reached[key] = max(reached[key], fn["count"])
    missed = sorted(k for k, count in reached.items() if count == 0)
    print(f"coverage{label}: secure/ functions reached {len(reached) - len(missed)} of {len(reached)}")
    for file, name in missed:
        print(f"coverage{label}:   never reached: {file}: {demangle(name)}")


def demangle(name):
    try:
        import subprocess
        return subprocess.run(["c++filt", name], capture_output=True, text=True).stdout.strip() or name
    except OSError:
        return name


if __name__ == "__main__":
    main()

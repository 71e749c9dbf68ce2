#!/usr/bin/env python3
"""same_results.py A B: compares two study output folders field by field, leaving out
wall-clock fields and the folder's own path. JSON / JSON-lines records are compared as parsed values (records of a
file sorted, so that workers' finishing order does not count); CSVs cell by cell (rows
sorted); other files (checkpoints, figures) byte for byte. Prints every difference and
exits 1 if any.

Runs trained to a wall-clock budget (problem 2's same_time baselines: a JSON record with a
`budget`, a CSV row stopped at max_seconds) and figures of time (a name with "time") differ
between any two runs of the same code; they are counted and left out (--keep-budget: compared
too)."""
import csv, io, json, os, sys

WALL = {"time", "wall_s", "wall_time", "seconds", "cum_seconds", "dense_seconds", "total_seconds",
        "cooldown_seconds", "started", "time_vs_dense", "train_time"}

FOLDER = []  # the folder being read: its path in a string (config.json's command) reads <out>

def strip(o):
    if isinstance(o, dict):
        return {k: strip(v) for k, v in o.items() if k not in WALL}
    if isinstance(o, list):
        return [strip(v) for v in o]
    if isinstance(o, str) and FOLDER:
        return o.replace(FOLDER[0], "<out>")
    return o

def key(o): return json.dumps(o, sort_keys=True)

def at(folder):
    FOLDER[:] = [folder.rstrip("/")]

SKIPPED = {"records": 0, "rows": 0, "figures": 0}
KEEP_BUDGET = False

def jsonl(p):
    out = []
    for line in open(p):
        if not line.strip(): continue
        r = json.loads(line)
        if isinstance(r, dict) and "budget" in r and not KEEP_BUDGET:
            SKIPPED["records"] += 1; continue
        out.append(strip(r))
    return sorted(out, key=key)

def table(p):
    rows = list(csv.reader(open(p, newline="")))
    if not rows: return [], []
    head = rows[0]
    keep = [i for i, c in enumerate(head) if c not in WALL]
    st = head.index("stopped") if "stopped" in head else None
    body = []
    for r in rows[1:]:
        if st is not None and r[st] == "max_seconds" and not KEEP_BUDGET:
            SKIPPED["rows"] += 1; continue
        body.append([r[i] for i in keep])
    return [head[i] for i in keep], sorted(body)

def files(d):
    out = set()
    for root, _, fs in os.walk(d):
        for f in fs: out.add(os.path.relpath(os.path.join(root, f), d))
    return out

def main(a, b):
    fa, fb = files(a), files(b)
    bad, counts = 0, {}
    for f in sorted(fa ^ fb):
        print("only in one folder:", f); bad += 1
    for f in sorted(fa & fb):
        pa, pb = os.path.join(a, f), os.path.join(b, f)
        ext = f.rsplit(".", 1)[-1]
        if ext == "jsonl":
            at(a); ra = jsonl(pa)
            at(b); rb = jsonl(pb)
            n = sum(1 for x, y in zip(ra, rb) if x != y) + abs(len(ra) - len(rb))
            what = "%d records" % len(ra)
        elif ext == "json":
            at(a); ja = strip(json.load(open(pa)))
            at(b); jb = strip(json.load(open(pb)))
            n = int(ja != jb)
            what = "1 document"
        elif ext == "csv":
            (ha, ra), (hb, rb) = table(pa), table(pb)
            n = int(ha != hb) + sum(1 for x, y in zip(ra, rb) if x != y) + abs(len(ra) - len(rb))
            what = "%d rows x %d columns" % (len(ra), len(ha))
        elif ext in ("md",):
            continue  # prose with measured times: diffed by hand
        elif "time" in f and not KEEP_BUDGET:
            SKIPPED["figures"] += 1; continue
        else:
            n = int(open(pa, "rb").read() != open(pb, "rb").read())
            what = "bytes"
        counts[ext] = counts.get(ext, 0) + 1
        if n:
            bad += 1
            print("DIFFERS: %s (%d of %s)" % (f, n, what))
    print("%s vs %s: %s compared, %d differ; left out (wall-clock budget, both folders): %d records, %d CSV rows, %d figures"
          % (a, b, ", ".join("%d %s" % (v, k) for k, v in sorted(counts.items())), bad,
             SKIPPED["records"], SKIPPED["rows"], SKIPPED["figures"]))
    return 1 if bad else 0

if __name__ == "__main__":
    args = sys.argv[1:]
    if "--keep-budget" in args:
        KEEP_BUDGET = True
        args.remove("--keep-budget")
    if len(args) != 2:
        sys.exit("usage: same_results.py [--keep-budget] FOLDER_A FOLDER_B")
    sys.exit(main(args[0], args[1]))

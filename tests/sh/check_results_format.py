"""check_results_format.py STUDY DIR - reads every output file of a study folder with Python's
csv and json modules and checks the results format docs/results.md states: every CSV
rectangular with one header, lists in a cell joined by ';' (never by spaces or '-'),
booleans spelled true/false; every JSON-lines row a JSON object, and every row of runs*.jsonl,
history/<id>.jsonl and iterations/<id>.jsonl carrying its run id (the file's own id for
history/ and iterations/); config.json naming its study. Exits 1 and prints what is wrong."""
import csv, glob, json, os, re, sys

study, folder = sys.argv[1], sys.argv[2]
problems, counts = [], {"csv": 0, "jsonl": 0, "json": 0}
NUM = r"-?\d+(\.\d+)?(e[-+]?\d+)?"
SPACED = re.compile(rf"^{NUM}( {NUM})+$")
DASHED = re.compile(r"^\d+(-\d+)+$")

for path in sorted(glob.glob(os.path.join(folder, "**", "*"), recursive=True)):
    rel = os.path.relpath(path, folder)
    if os.path.isdir(path) or rel.startswith("."):
        continue
    if path.endswith(".csv"):
        counts["csv"] += 1
        with open(path, newline="") as f:
            rows = list(csv.reader(f))
        if not rows:
            problems.append(f"{rel}: empty")
            continue
        header = rows[0]
        for i, row in enumerate(rows[1:], 2):
            if len(row) != len(header):
                problems.append(f"{rel}:{i}: {len(row)} cells, header has {len(header)}")
            for col, cell in zip(header, row):
                if cell in ("yes", "no", "True", "False", "TRUE", "FALSE"):
                    problems.append(f"{rel}:{i}: {col} = {cell!r}: booleans are true/false")
                if SPACED.match(cell) or DASHED.match(cell):
                    problems.append(f"{rel}:{i}: {col} = {cell!r}: a list's elements are joined by ';'")
    elif path.endswith(".jsonl"):
        counts["jsonl"] += 1
        own = None
        if rel.startswith("history" + os.sep) or rel.startswith("iterations" + os.sep):
            own = os.path.basename(path)[: -len(".jsonl")]
        with open(path) as f:
            for i, line in enumerate(f, 1):
                if not line.strip():
                    continue
                row = json.loads(line)
                if not isinstance(row, dict):
                    problems.append(f"{rel}:{i}: not a JSON object")
                    continue
                if os.path.basename(path).startswith("timing"):
                    continue  # a process's wall time, not a run's row
                if not isinstance(row.get("id"), str):
                    problems.append(f"{rel}:{i}: the row carries no run id")
                elif own is not None and row["id"] != own:
                    problems.append(f"{rel}:{i}: id {row['id']!r} in the file of {own!r}")
    elif path.endswith(".json"):
        counts["json"] += 1
        with open(path) as f:
            t = json.load(f)
        if rel == "config.json" and t.get("study") != study:
            problems.append(f"config.json: study {t.get('study')!r}, expected {study!r}")

for p in problems[:40]:
    print("FAIL:", p)
print(f"{study}: read {counts['csv']} CSV, {counts['jsonl']} JSON-lines and {counts['json']} JSON files; "
      f"{len(problems)} problems")
if counts["csv"] == 0 or counts["jsonl"] == 0 or "config.json" not in os.listdir(folder):
    print("FAIL: the folder lacks CSV, JSON-lines or config.json files")
    sys.exit(1)
sys.exit(1 if problems else 0)

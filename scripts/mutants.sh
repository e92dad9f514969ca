#!/usr/bin/env bash
# Mutation testing of the model (spec/) and the reference (reference/) with
# cargo-mutants (`cargo install cargo-mutants`). Slow (about 25 s a mutant on
# 2 cores: a full run of both crates takes hours), so it is not part of
# `cargo test`; shard it across CI jobs with --shard.
#
#   scripts/mutants.sh [--crate NAME]... [--shard K/N] [--out DIR] [--summarise]
#
#   --crate NAME   procspec-spec and/or procspec-reference (default: both)
#   --shard K/N    run shard K of N (cargo-mutants --shard); a crate's
#                  outcomes then go to DIR/NAME-shard-K
#   --out DIR      where cargo-mutants writes (default: target/mutants); a
#                  directory NAME-retest* holds a re-run of some mutants
#                  (cargo mutants --re ...) after new tests: its outcomes
#                  replace the earlier ones of the same mutants
#   --summarise    only summarise DIR's outcomes (every shard) into
#                  reports/committed/mutation/cargo-mutants.json
#   --timeout S    per-mutant test timeout (default 60)
#
# Each crate is tested by its own tests (cargo-mutants' default). Missed
# mutants are triaged in mutants/triage.md: a line `- equivalent: NAME --
# reason` (NAME as cargo-mutants prints it) counts the mutant as equivalent
# in the score. The summary feeds `procspec report reports/committed`.
set -euo pipefail
cd "$(dirname "$0")/.."
crates=() shard="" out="target/mutants" summarise_only=0 timeout=60
while [ $# -gt 0 ]; do
    case "$1" in
        --crate) crates+=("$2"); shift 2 ;;
        --shard) shard="$2"; shift 2 ;;
        --out) out="$2"; shift 2 ;;
        --timeout) timeout="$2"; shift 2 ;;
        --summarise) summarise_only=1; shift ;;
        *) echo "mutants.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
[ ${#crates[@]} -gt 0 ] || crates=(procspec-spec procspec-reference)

if [ "$summarise_only" = 0 ]; then
    command -v cargo-mutants >/dev/null || { echo "mutants.sh: cargo install cargo-mutants" >&2; exit 1; }
    for c in "${crates[@]}"; do
        dir="$out/$c${shard:+-shard-${shard%%/*}}"
        mkdir -p "$dir"
        args=(-p "$c" --timeout "$timeout" -j 1 -o "$dir")
        [ -n "$shard" ] && args+=(--shard "$shard")
        echo "mutants.sh: cargo mutants ${args[*]}" >&2
        cargo mutants "${args[@]}" || true   # exit 2/3: missed/timeout mutants, summarised below
    done
fi

python3 - "$out" <<'PY'
import datetime, glob, json, os, re, sys
out = sys.argv[1]
triage = open("mutants/triage.md").read() if os.path.exists("mutants/triage.md") else ""
equivalent = set(re.findall(r"^- equivalent: (.+?) -- ", triage, re.M))
def t(s):
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00")[:26] + "+00:00") if s else None
# A crate's outcomes may come from several directories (shards, and
# retests of missed mutants after new tests: `NAME-retest*`): each mutant
# counts once, with its latest outcome (a later directory wins).
rank = {"CaughtMutant": "caught", "MissedMutant": "missed", "Unviable": "unviable",
        "Timeout": "timeout"}
crates = {}
for path in sorted(glob.glob(os.path.join(out, "*", "mutants.out", "outcomes.json")),
                   key=lambda p: ("-retest" in p, p)):
    d = json.load(open(path))
    name = re.split(r"-shard-|-retest", os.path.basename(os.path.dirname(os.path.dirname(path))))[0]
    c = crates.setdefault(name, {"outcomes": {}, "total": 0, "wall_seconds": 0})
    for o in d["outcomes"]:
        m = o["scenario"].get("Mutant") if isinstance(o["scenario"], dict) else None
        if m and o["summary"] in rank:
            c["outcomes"][m["name"]] = rank[o["summary"]]
    listed = os.path.join(os.path.dirname(path), "mutants.json")
    if "-retest" not in path:
        c["total"] += len(json.load(open(listed))) if os.path.exists(listed) else d["total_mutants"]
    start, end = t(d.get("start_time")), t(d.get("end_time"))
    end = end or datetime.datetime.fromtimestamp(os.path.getmtime(path), datetime.timezone.utc)
    if start:
        c["wall_seconds"] += int((end - start).total_seconds())
for name, c in list(crates.items()):
    outcomes = c.pop("outcomes")
    counts = {k: sum(1 for v in outcomes.values() if v == k) for k in ("caught", "missed", "unviable", "timeout")}
    equiv = sum(1 for n, v in outcomes.items() if v == "missed" and n in equivalent)
    crates[name] = {"crate": name, **counts, "total": c["total"], "wall_seconds": c["wall_seconds"],
                    "equivalent": equiv}
summary = {"crates": [crates[k] for k in sorted(crates)]}
os.makedirs("reports/committed/mutation", exist_ok=True)
with open("reports/committed/mutation/cargo-mutants.json", "w") as f:
    json.dump(summary, f, indent=2)
    f.write("\n")
for c in summary["crates"]:
    killed = c["caught"] + c["timeout"]
    judged = killed + c["missed"] - c["equivalent"]
    pct = f"{100 * killed / judged:.1f} %" if judged else "n/a"
    print(f"{c['crate']}: {pct} caught ({c['caught']} caught, {c['missed']} missed, "
          f"{c['equivalent']} equivalent, {c['timeout']} timeout, {c['unviable']} unviable; "
          f"{c['caught'] + c['missed'] + c['timeout'] + c['unviable']} of {c['total']} tested; "
          f"{c['wall_seconds']} s)")
PY

#!/usr/bin/env bash
# Mutation testing of the model (spec/) and the reference (reference/) with
# cargo-mutants (`cargo install cargo-mutants`). Slow (on 2 cores the reference's
# 360 mutants take 27 min, the spec's 612 take 40 min), so it is not part of
# `cargo test`; shard it across CI jobs with --shard.
#
#   scripts/mutants.sh [--crate NAME]... [--shard K/N] [--jobs N] [--out DIR] [--summarise]
#
#   --crate NAME   procspec-spec and/or procspec-reference (default: both);
#                  with --summarise, only these crates' entries are rewritten
#   --shard K/N    run shard K of N (cargo-mutants --shard); a crate's
#                  outcomes then go to DIR/NAME-shard-K
#   --out DIR      where cargo-mutants writes (default: target/mutants); a
#                  directory NAME-retest* holds a re-run of some mutants
#                  (cargo mutants -p NAME --re ... -o DIR/NAME-retestN) after
#                  new tests: see "Retests" below
#   --summarise    only summarise DIR's outcomes into
#                  reports/committed/mutation/cargo-mutants.json
#   --timeout S    per-mutant test timeout (default: 20 for the reference,
#                  whose tests take 1-3 s; 60 for the spec)
#   --jobs N       mutants built and tested at once (default 2)
#
# Speed: debug info is off and the mold linker is used where installed (a
# mutant's build is mostly linking test binaries).
#
# Safety: a reference mutant can make a pid -1, 0 or 1 (fork_exec returning
# Ok(-1), getpid returning 1), and the reference then signals every
# process, its group or init. So the reference is run in its own PID
# namespace (`unshare -p`, as root or through a user namespace), where that
# reaches only the run; the script refuses to run it without one. Left out
# of the reference's run: sys/windows.rs (not built on Linux), fork_exec and
# bench_raw (benchmark helpers); sys/unix/portable.rs gets a run of its own
# with --features force-portable (DIR/procspec-reference-shard-portable).
#
# Each crate is tested by its own tests (cargo-mutants' default). Missed
# mutants are triaged in mutants/triage.md, NAME as cargo-mutants prints it
# (`spec/src/case.rs:145:5: replace is_table_header -> bool with true`):
#   - open: NAME (reason)           missed, not yet killed nor judged
#   - equivalent: NAME -- reason    missed, but no test can tell it from the
#                                   original: left out of the score
#   - equivalent (uncounted): NAME -- reason
#                                   the same, for a mutant that the run the
#                                   committed figures come from did not test
#                                   (new since); a full run counts it
#   - killed: NAME ...              was missed, a retest caught it
# The committed summary's `missed` of a crate is its open and (counted)
# equivalent lines together; the summariser checks that.
#
# Summarising. The JSON keeps one entry per crate; a crate with no outcomes
# in DIR (or not named by --crate) keeps its committed entry. A crate with
# a run in DIR (NAME, NAME-shard-K) gets an entry counted from DIR alone:
# each mutant once, with its latest outcome (retests after the run win; a
# retest mutant whose line moved since the run is matched to the run's by
# file, column and mutation, in line order).
#
# Retests. A crate present in DIR only through NAME-retest* directories
# updates its committed entry instead: the first run's per-mutant outcomes
# are gone, but the mutants it missed are the triage's open and equivalent
# lines, counted in `missed`. Each listed mutant that the retest catches
# moves from missed to caught (times out: to timeout; no longer builds: to
# unviable), and the retest's wall time is added. Lines are matched to the
# retest's mutants by name, else by file and mutation with the line:column
# left out (code above them moves); when that leaves the match ambiguous
# (the function has several mutants of that form), the retest's outcomes
# least favourable to the score are taken. Then move each caught one in
# triage.md from `- open:` to `- killed:`. Summarising the same DIR again
# changes nothing, before that edit (the retest is seen as applied: the
# committed missed is already lower by its moves) and after it (it moves
# nothing then). Any other mismatch between the committed missed and the
# triage is an error.
#
# The summary feeds `procspec report reports/committed`.
set -euo pipefail
cd "$(dirname "$0")/.."
crates=() shard="" out="target/mutants" summarise_only=0 timeout="" jobs=2
while [ $# -gt 0 ]; do
    case "$1" in
        --crate) crates+=("$2"); shift 2 ;;
        --shard) shard="$2"; shift 2 ;;
        --out) out="$2"; shift 2 ;;
        --timeout) timeout="$2"; shift 2 ;;
        --jobs) jobs="$2"; shift 2 ;;
        --summarise) summarise_only=1; shift ;;
        *) echo "mutants.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
named=("${crates[@]}")   # what --summarise rewrites: every crate in DIR when none named
[ ${#crates[@]} -gt 0 ] || crates=(procspec-spec procspec-reference)

if [ "$summarise_only" = 0 ]; then
    command -v cargo-mutants >/dev/null || { echo "mutants.sh: cargo install cargo-mutants" >&2; exit 1; }
    export CARGO_PROFILE_DEV_DEBUG=0 CARGO_PROFILE_TEST_DEBUG=0
    command -v mold >/dev/null && export RUSTFLAGS="${RUSTFLAGS:-} -Clink-arg=-fuse-ld=mold"
    for c in "${crates[@]}"; do
        dir="$out/$c${shard:+-shard-${shard%%/*}}"
        mkdir -p "$dir"
        wrap=()
        case "$c" in
            procspec-reference)
                t=${timeout:-20}
                extra=(--exclude reference/src/sys/windows.rs --exclude reference/src/sys/unix/portable.rs
                       --exclude-re 'fork_exec|bench_raw')
                if [ "$(id -u)" = 0 ] && unshare -p -f --mount-proc true 2>/dev/null; then
                    wrap=(unshare -p -f --mount-proc)
                elif unshare -r -p -f --mount-proc true 2>/dev/null; then
                    wrap=(unshare -r -p -f --mount-proc)
                else
                    echo "mutants.sh: $c needs its own PID namespace (unshare -p): not available here" >&2
                    exit 1
                fi ;;
            *) t=${timeout:-60}; extra=() ;;
        esac
        args=(-p "$c" --timeout "$t" -j "$jobs" -o "$dir" "${extra[@]}")
        [ -n "$shard" ] && args+=(--shard "$shard")
        echo "mutants.sh: ${wrap[*]} cargo mutants ${args[*]}" >&2
        "${wrap[@]}" cargo mutants "${args[@]}" || true   # exit 2/3: missed/timeout mutants, summarised below
        if [ "$c" = procspec-reference ] && [ -z "$shard" ]; then
            # The portable backend, built only with force-portable: a run
            # of its own, counted with the crate (a `-shard-` directory).
            "${wrap[@]}" cargo mutants -p "$c" --features force-portable --timeout "$t" -j "$jobs" \
                -o "$out/$c-shard-portable" -f reference/src/sys/unix/portable.rs || true
        fi
    done
fi

python3 - "$out" "${named[@]}" <<'PY'
import datetime, glob, json, os, re, subprocess, sys
out, named = sys.argv[1], set(sys.argv[2:])
SUMMARY = "reports/committed/mutation/cargo-mutants.json"
triage = open("mutants/triage.md").read() if os.path.exists("mutants/triage.md") else ""
# A full run counts every equivalent line, those of mutants new since the
# committed run included.
equivalent = set(re.findall(r"^- equivalent(?: \(uncounted\))?: (.+?) -- ", triage, re.M))
# The missed mutants the committed figures count, each with whether it is
# judged equivalent: open lines (NAME (reason)) and equivalent ones (NAME).
listed = [(m.group(1), False) for m in re.finditer(r"^- open: (.+)$", triage, re.M)] + \
         [(m.group(1), True) for m in re.finditer(r"^- equivalent: (.+?) -- ", triage, re.M)]
LINE = re.compile(r"^(\S+?):(\d+):(\d+): (.*)$", re.S)
def onto_run(retest, run):
    """A retest's outcomes under the run's names. Code above a mutant may
    have moved since the run (new lines), so a name the run does not have
    is matched by file, column and mutation with the line left out: the
    k-th such mutant of the retest (by line) is the k-th of the run, when
    both have the same number of them (a retest selects mutants by their
    text, so it holds every one of that text); else the name stays new."""
    def groups(names):
        g = {}
        for n in names:
            m = LINE.match(n)
            if m:
                g.setdefault((m.group(1), m.group(3), m.group(4)), []).append((int(m.group(2)), n))
        return {k: [n for _, n in sorted(v)] for k, v in g.items()}
    mapped = {n: o for n, o in retest.items() if n in run}
    rest = {n: o for n, o in retest.items() if n not in run}
    theirs = groups(n for n in run if n not in retest)
    for key, names in groups(rest).items():
        ours = theirs.get(key, [])
        pairs = zip(names, ours) if len(ours) == len(names) else ((n, n) for n in names)
        for new, old in pairs:
            mapped[old] = rest[new]
    return mapped

def t(s):
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00")[:26] + "+00:00") if s else None
def die(msg):
    sys.exit(f"mutants.sh: {msg}")
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
    if named and name not in named:
        continue
    c = crates.setdefault(name, {"outcomes": {}, "total": 0, "wall_seconds": 0, "run": False})
    found = {}
    for o in d["outcomes"]:
        m = o["scenario"].get("Mutant") if isinstance(o["scenario"], dict) else None
        if m and o["summary"] in rank:
            found[m["name"]] = rank[o["summary"]]
    if "-retest" in path and c["outcomes"]:
        found = onto_run(found, c["outcomes"])
    c["outcomes"].update(found)
    listed_mutants = os.path.join(os.path.dirname(path), "mutants.json")
    if "-retest" not in path:
        c["run"] = True
        c["total"] += len(json.load(open(listed_mutants))) if os.path.exists(listed_mutants) else d["total_mutants"]
    start, end = t(d.get("start_time")), t(d.get("end_time"))
    end = end or datetime.datetime.fromtimestamp(os.path.getmtime(path), datetime.timezone.utc)
    if start:
        c["wall_seconds"] += int((end - start).total_seconds())

def crate_dirs():
    """Each workspace crate's directory, relative to the root, with a
    trailing slash ('' for the root crate)."""
    meta = json.loads(subprocess.run(["cargo", "metadata", "--no-deps", "--format-version", "1"],
                                     check=True, capture_output=True, text=True).stdout)
    dirs = {}
    for p in meta["packages"]:
        d = os.path.relpath(os.path.dirname(p["manifest_path"]), meta["workspace_root"])
        dirs[p["name"]] = "" if d == "." else d + "/"
    return dirs

def owner(path, dirs):
    """The crate whose directory holds `path` (the deepest one)."""
    return max((n for n, d in dirs.items() if path.startswith(d)), key=lambda n: len(dirs[n]))

POSITION = re.compile(r"^(\S+?):\d+:\d+: (.*)$", re.S)
def without_position(name):
    m = POSITION.match(name)
    return (m.group(1), m.group(2)) if m else (None, name)

# Least favourable to the score first: an ambiguous match takes these.
WORST_FIRST = ["missed", "unviable", "timeout", "caught"]

def retest_moves(name, c):
    """What the retest's outcomes `c["outcomes"]` make of the triage's listed
    (missed) mutants of crate `name`: [(text, equivalent?, outcome)]."""
    dirs = crate_dirs()
    mine = [(text, equiv) for text, equiv in listed if owner(text.split(":", 1)[0], dirs) == name]
    pool = dict(c["outcomes"])
    found, unmatched = [], []
    # By name first: the text is NAME, or NAME then " (reason)".
    for text, equiv in mine:
        exact = next((n for n in pool if text == n or text.startswith(n + " (")), None)
        if exact:
            found.append((text, equiv, pool.pop(exact)))
        else:
            unmatched.append((text, equiv))
    # Then by file and mutation, the lines having moved.
    by_form = {}
    for n, outcome in pool.items():
        by_form.setdefault(without_position(n), []).append(outcome)
    for outcomes in by_form.values():
        outcomes.sort(key=WORST_FIRST.index)
    for text, equiv in unmatched:
        file, rest = without_position(text)
        form = next((f for f, outcomes in by_form.items() if outcomes and f[0] == file
                     and (rest == f[1] or rest.startswith(f[1] + " ("))), None)
        found.append((text, equiv, by_form[form].pop(0) if form else "missed"))   # else not retested
    return found

committed = {}
if os.path.exists(SUMMARY):
    committed = {c["crate"]: c for c in json.load(open(SUMMARY))["crates"]}
summary = dict(committed)
for name, c in crates.items():
    outcomes = c["outcomes"]
    if c["run"]:
        counts = {k: sum(1 for v in outcomes.values() if v == k) for k in ("caught", "missed", "unviable", "timeout")}
        equiv = sum(1 for n, v in outcomes.items() if v == "missed" and n in equivalent)
        summary[name] = {"crate": name, **counts, "total": c["total"], "wall_seconds": c["wall_seconds"],
                         "equivalent": equiv}
        continue
    # Only retests: update the committed entry (see "Retests" above).
    if name not in committed:
        die(f"{name}: only retests in {out} and no committed entry to update: run the crate first")
    e = dict(committed[name])
    found = retest_moves(name, c)
    moves = {k: sum(1 for _, _, o in found if o == k) for k in WORST_FIRST}
    moved = len(found) - moves["missed"]
    for text, equiv, outcome in found:
        if outcome != "missed":
            print(f"mutants.sh: {name}: {outcome} by the retest: {text}", file=sys.stderr)
            if equiv:
                print(f"mutants.sh: {name}: listed equivalent, yet {outcome}: drop its line",
                      file=sys.stderr)
    if e["missed"] == len(found):
        if moved:
            for k in ("caught", "timeout", "unviable"):
                e[k] += moves[k]
            e["missed"] -= moved
            e["wall_seconds"] = e.get("wall_seconds", 0) + c["wall_seconds"]
        e["equivalent"] = sum(1 for _, equiv, o in found if equiv and o == "missed")
    elif e["missed"] == len(found) - moved:
        print(f"mutants.sh: {name}: this retest is already in {SUMMARY}: kept; move the caught "
              "mutants in mutants/triage.md from open: to killed:", file=sys.stderr)
    else:
        die(f"{name}: {SUMMARY} counts {e['missed']} missed but mutants/triage.md lists "
            f"{len(found)} (open and equivalent): bring them in line first")
    summary[name] = e
summary = {"crates": [summary[k] for k in sorted(summary)]}
os.makedirs(os.path.dirname(SUMMARY), exist_ok=True)
with open(SUMMARY, "w") as f:
    json.dump(summary, f, indent=2)
    f.write("\n")
for c in summary["crates"]:
    killed = c["caught"] + c["timeout"]
    judged = killed + c["missed"] - c["equivalent"]
    pct = f"{100 * killed / judged:.1f} %" if judged else "n/a"
    kept = "" if c["crate"] in crates else "; kept: not in " + out
    print(f"{c['crate']}: {pct} caught ({c['caught']} caught, {c['missed']} missed, "
          f"{c['equivalent']} equivalent, {c['timeout']} timeout, {c['unviable']} unviable; "
          f"{c['caught'] + c['missed'] + c['timeout'] + c['unviable']} of {c['total']} tested; "
          f"{c['wall_seconds']} s{kept})")
PY

#!/usr/bin/env bash
# The suite's own speed (a benchmark, not a timed test; issue #15):
#   - results/s: every case file, no sequences;
#   - sequences/s: 128 state-machine sequences, no case;
#   for reference-fork and cpython-fork; then, with --all,
#   - `run --all` wall time with --jobs 1 and --jobs 2.
# Usage: scripts/bench-scale.sh [--all]     (builds the release binary first)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q
bin=target/release/procspec
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/no-cases"

now() { date +%s.%N; }
results() { python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["results"]))' "$1"; }

for impl in reference-fork cpython-fork; do
    t0=$(now)
    "$bin" run --impl "$impl" --sequences 0 --out "$tmp/c-$impl" >/dev/null 2>&1 || true
    t1=$(now)
    n=$(results "$tmp/c-$impl/$impl.json")
    awk -v n="$n" -v a="$t0" -v b="$t1" -v i="$impl" \
        'BEGIN { printf "BENCH %s results/s %.1f (%d results in %.2f s)\n", i, n/(b-a), n, b-a }'
    t0=$(now)
    "$bin" run --impl "$impl" --sequences 128 --cases "$tmp/no-cases" --out "$tmp/s-$impl" >/dev/null 2>&1 || true
    t1=$(now)
    awk -v a="$t0" -v b="$t1" -v i="$impl" \
        'BEGIN { printf "BENCH %s sequences/s %.1f (128 sequences in %.2f s)\n", i, 128/(b-a), b-a }'
done

if [ "${1:-}" = "--all" ]; then
    for j in 1 2; do
        t0=$(now)
        "$bin" run --all --jobs "$j" --out "$tmp/all-$j" >/dev/null 2>"$tmp/all-$j.log" || true
        t1=$(now)
        awk -v a="$t0" -v b="$t1" -v j="$j" 'BEGIN { printf "BENCH run --all --jobs %d: %.1f s\n", j, b-a }'
    done
    # More cores, by simulation: each implementation's time in the --jobs 1
    # run, handed out in order to the first free worker, as `--jobs N` does
    # (src/cmd/jobs.rs). Optimistic: it assumes an implementation runs as
    # fast beside others as alone (true for fork, not for CPU-heavy spawn).
    python3 - "$tmp/all-1.log" <<'PY'
import heapq, re, sys
times = [float(m.group(1)) for m in
         re.finditer(r"finished in ([0-9.]+) s", open(sys.argv[1]).read())]
total = sum(times)
print("BENCH --jobs 1: %d implementations, %.1f s in all, the longest %.1f s"
      % (len(times), total, max(times, default=0)))
for n in (2, 4, 8, 16):
    free = [0.0] * n
    for t in times:
        heapq.heappush(free, heapq.heappop(free) + t)
    wall = max(free)
    print("BENCH simulated --jobs %d: %.1f s (%.2fx of --jobs 1)" % (n, wall, wall / total))
PY
fi

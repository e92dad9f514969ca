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
        "$bin" run --all --jobs "$j" --out "$tmp/all-$j" >/dev/null 2>&1 || true
        t1=$(now)
        awk -v a="$t0" -v b="$t1" -v j="$j" 'BEGIN { printf "BENCH run --all --jobs %d: %.1f s\n", j, b-a }'
    done
fi

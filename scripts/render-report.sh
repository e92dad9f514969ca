#!/usr/bin/env bash
# Render the committed HTML report in headless Chromium and check that the
# scores, the matrix and a story are in the rendered page (after its script
# ran). Writes a screenshot at 1366x768 (a laptop screen: the scores and the
# failing clauses must be what it shows) to target/report.png; with
# --commit-screenshot also to reports/committed/screenshot-1366x768.png.
set -euo pipefail
cd "$(dirname "$0")/.."
commit=0
if [ "${1:-}" = --commit-screenshot ]; then commit=1; shift; fi
page="${1:-reports/committed/index.html}"
chromium=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chromium" ]; then
    echo "render-report: chromium is not installed (Debian: apt-get install chromium)" >&2
    exit 1
fi
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
       --disable-background-networking --disable-component-update --disable-sync
       --user-data-dir="$profile")
url="file://$PWD/$page"
dom=$("$chromium" "${flags[@]}" --dump-dom "$url" 2>/dev/null)
grep -q 'id="scores"' <<<"$dom" || { echo "render-report: no scores in the rendered page" >&2; exit 1; }
grep -q 'id="matrix"' <<<"$dom" || { echo "render-report: no matrix in the rendered page" >&2; exit 1; }
grep -q 'class="clause-row' <<<"$dom" || { echo "render-report: no clause rows" >&2; exit 1; }
grep -q 'failure-detail' <<<"$dom" || { echo "render-report: no failure detail" >&2; exit 1; }
mkdir -p target
"$chromium" "${flags[@]}" --window-size=1366,768 --screenshot="$PWD/target/report.png" "$url" 2>/dev/null
if [ "$commit" = 1 ]; then cp target/report.png reports/committed/screenshot-1366x768.png; fi
echo "render-report: $page rendered; matrix, clause rows and failure details present; screenshot target/report.png"

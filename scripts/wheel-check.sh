#!/usr/bin/env bash
# The Python user's path, end to end: build the wheel with maturin (from
# PyPI), install it into a fresh venv, and from a temporary directory
# outside the checkout check a subclass of multiprocessing.Process defined
# in a temporary module, under fork, spawn and forkserver; a buggy subclass
# must fail (exit 1) on its clause. Run by .ci/run.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

python3 -m venv "$work/build"
"$work/build/bin/pip" install -q --disable-pip-version-check 'maturin>=1.5,<2'
(cd "$repo" && "$work/build/bin/maturin" build --release --quiet -o "$work/dist")

python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q --disable-pip-version-check "$work"/dist/procspec-*.whl
export PATH="$work/venv/bin:$PATH" XDG_CACHE_HOME="$work/cache"
hash -r
command -v procspec | grep -q "^$work/venv/bin/procspec$"

mkdir "$work/project" && cd "$work/project"
cat > mylib.py <<'PY'
import multiprocessing

class Process(multiprocessing.Process):
    def run(self):
        super().run()

class Buggy:
    class Process(multiprocessing.Process):
        def is_alive(self):
            return super().is_alive() or self.exitcode is not None
PY
procspec run --process-class mylib:Process --sequences 4
for m in fork spawn forkserver; do test -s "procspec-reports/mylib.Process-$m.json"; done
set +e
procspec run --process-class mylib:Buggy.Process --start-method fork --sequences 0 > buggy.txt
code=$?
set -e
test "$code" = 1
grep -q "is-alive.lifetime" buggy.txt
echo "wheel-check: ok (the wheel's procspec checked a subclass under fork, spawn, forkserver; the buggy one failed on is-alive.lifetime)"

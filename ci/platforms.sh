#!/usr/bin/env bash
# The cross-platform checks, run by .ci/run after the Linux ones (and on
# their own: `ci/platforms.sh`):
#   1. cargo check --workspace --all-targets for macOS and FreeBSD;
#   2. cargo clippy --workspace --all-targets for Windows (x86_64-pc-windows-gnu);
#   3. the portable POSIX backend forced on Linux (the code macOS and the BSDs
#      run): the reference's own tests, its conformance suite and CPython's;
#   4. under Wine, with the ProcessPrng shim of ci/wine/: the reference's
#      Windows tests (spawn, handles, TerminateProcess), then its spawn
#      conformance suite (harness/tests/reference.rs: conformance_suite!
#      through the lifecycle host, judged by Windows' outcomes), then the
#      harness's job object (harness/tests/job.rs: a killed process takes
#      what it started with it; the leak guard finds orphans).
# Installs its own tools: rustup targets, mingw-w64, wine64. A failed install
# skips the steps that need it, saying so; every step prints its duration.
set -uo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
status=0
skipped=()

step() { # step NAME COMMAND...: run, time, remember failure
    local name="$1"; shift
    local t0=$SECONDS
    echo "ci: >> $name"
    if "$@"; then
        echo "ci: << $name: ok in $((SECONDS - t0)) s"
    else
        echo "ci: << $name: FAILED in $((SECONDS - t0)) s"
        status=1
    fi
}
skip() { echo "ci: -- $1: skipped ($2)"; skipped+=("$1"); }

t0=$SECONDS
have_targets=1
rustup target add x86_64-apple-darwin x86_64-unknown-freebsd x86_64-pc-windows-gnu \
    || have_targets=0
echo "ci: rustup target add: $((SECONDS - t0)) s (ok=$have_targets)"

t0=$SECONDS
have_mingw=0; have_wine=0
if command -v apt-get >/dev/null 2>&1; then
    sudo_=""; [ "$(id -u)" = 0 ] || sudo_="sudo"
    DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq gcc-mingw-w64-x86-64 wine64 \
        >/dev/null 2>&1 \
        || echo "ci: apt-get could not install gcc-mingw-w64-x86-64/wine64"
fi
command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1 && have_mingw=1
{ command -v wine64 >/dev/null 2>&1 || [ -x /usr/lib/wine/wine64 ]; } && have_wine=1
echo "ci: mingw/wine install: $((SECONDS - t0)) s (mingw=$have_mingw wine=$have_wine)"

if [ $have_targets = 1 ]; then
    step "check macOS" cargo check --workspace --all-targets --target x86_64-apple-darwin
    step "check FreeBSD" cargo check --workspace --all-targets --target x86_64-unknown-freebsd
    step "clippy Windows" cargo clippy --workspace --all-targets --target x86_64-pc-windows-gnu -- -D warnings
else
    skip "check macOS/FreeBSD, clippy Windows" "rustup could not add the targets"
fi

step "forced portable: reference tests" \
    cargo test -p procspec-reference --features force-portable --test reference
step "forced portable: reference conformance + CPython" \
    cargo test -p procspec-harness --features force-portable --test reference --test cpython
step "forced portable: a killed runner leaves nothing (the life-pipe watchdog)" \
    cargo test -p procspec --features force-portable --test interrupt

if [ $have_targets = 1 ] && [ $have_mingw = 1 ] && [ $have_wine = 1 ]; then
    step "Windows under Wine: reference tests" env \
        CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER="$PWD/ci/wine/runner" \
        cargo test -p procspec-reference --target x86_64-pc-windows-gnu --test reference
    step "Windows under Wine: reference spawn conformance" env \
        CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER="$PWD/ci/wine/runner" \
        cargo test -p procspec-harness --target x86_64-pc-windows-gnu --test reference
    step "Windows under Wine: a killed process leaves nothing (the job object)" env \
        CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER="$PWD/ci/wine/runner" \
        cargo test -p procspec-harness --target x86_64-pc-windows-gnu --test job
else
    skip "Windows under Wine" "needs the Windows target, mingw-w64 and wine64"
fi

[ ${#skipped[@]} = 0 ] || echo "ci: skipped: ${skipped[*]}"
exit $status

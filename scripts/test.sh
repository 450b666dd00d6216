#!/usr/bin/env bash
# test.sh -- the whole test suite, as the README's second command and .ci/run run it.
# Installs what is missing (same installer as the quick start), builds with ASan+UBSan and
# runs every test with ctest, while clang (warnings as errors) and TSan build beside it;
# then runs the libFuzzer harnesses briefly, and the threaded tests under TSan. Exits
# non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)

step() { printf '\n==== %s\n' "$*"; }

step "dependencies"
bash scripts/install-deps.sh --test

if ! command -v chromium >/dev/null 2>&1; then
  echo "test.sh: chromium is not installed; the capture tests need it (scripts/install-deps.sh installs it)" >&2
  exit 1
fi

# every build here treats warnings as errors (LINKSNAP_WERROR; off by default for users)
step "build (gcc, ASan+UBSan)"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DLINKSNAP_SANITIZE=address -DLINKSNAP_WERROR=ON >/dev/null
cmake --build build-asan -j"$jobs"

# The clang and TSan trees build in the background, at the lowest priority, while the ASan
# tests run: those leave about a fifth of the two cores idle (they wait on Chromium and on
# the daemons), and nice 19 takes only what they leave. The log is shown once they end.
# Debug for clang: its warnings do not depend on the optimisation level, and -O0 builds in
# ~20% less CPU (the fuzz harnesses still get -O1, fuzz/CMakeLists.txt). TSan: only what
# the tests labelled tsan run (tests/CMakeLists.txt, target tsan_tests); the two other
# trees compile every file already.
step "build (clang, warnings as errors; TSan, threaded code): in the background"
bg_log=$(mktemp)
setsid nice -n 19 bash -c '
  set -euo pipefail
  echo "== build (clang, warnings as errors)"
  CC=clang cmake -S . -B build-clang -DCMAKE_BUILD_TYPE=Debug -DLINKSNAP_WERROR=ON >/dev/null
  cmake --build build-clang -j"$1"
  echo "== build (TSan, threaded code)"
  cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DLINKSNAP_SANITIZE=thread -DLINKSNAP_WERROR=ON >/dev/null
  cmake --build build-tsan -j"$1" --target tsan_tests' bg "$jobs" >"$bg_log" 2>&1 &
bg=$!
# if a step below fails, the background builds end with the script
trap 'kill -- -"$bg" 2>/dev/null || true; rm -f "$bg_log"' EXIT

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1

step "tests (ASan+UBSan): unit and integration"
ctest --test-dir build-asan --output-on-failure -j"$jobs" --timeout 600 -LE slow  # slow: the full e2e matrix, run by hand

step "build (clang, TSan): the background builds"
bg_rc=0
wait "$bg" || bg_rc=$?
cat "$bg_log"
if [ "$bg_rc" -ne 0 ]; then
  echo "test.sh: the clang or TSan build failed (its output is above)" >&2
  exit 1
fi

# each harness fuzzes for its own LINKSNAP_FUZZ_SECONDS on one core, so -j runs them side
# by side without shortening any
step "fuzzing (clang, libFuzzer): a few seconds per harness"
ctest --test-dir build-clang --output-on-failure -L fuzz -j"$jobs" --timeout 300

# what a sanitizer's own allocator would hide (glibc's arenas, tests/common/test_memtrim.c)
step "tests (clang, no sanitizer): glibc's allocator"
ctest --test-dir build-clang --output-on-failure -L nosan -j"$jobs" --timeout 300

# twice as many at once as there are cores: these tests mostly wait (on the scripted
# browser's deadlines, on daemons starting), and the step otherwise leaves a quarter of
# the cores idle
step "tests (TSan): threaded code"
ctest --test-dir build-tsan --output-on-failure -L tsan -j"$((jobs * 2))" --timeout 900

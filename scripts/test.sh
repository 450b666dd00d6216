#!/usr/bin/env bash
# test.sh -- the whole test suite, as the README's second command and .ci/run run it.
# Installs what is missing (same installer as the quick start), builds with ASan+UBSan and
# runs every test with ctest; builds again with TSan and runs the threaded tests; checks
# that clang builds the tree warning-free too, and runs its libFuzzer harnesses briefly. Exits non-zero on any failure.
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

# Debug: clang's warnings do not depend on the optimisation level, and -O0 builds this tree
# in ~20% less CPU (the fuzz harnesses still get -O1, fuzz/CMakeLists.txt)
step "build (clang, warnings as errors)"
CC=clang cmake -S . -B build-clang -DCMAKE_BUILD_TYPE=Debug -DLINKSNAP_WERROR=ON >/dev/null
cmake --build build-clang -j"$jobs"

# only what the tests labelled tsan run (tests/CMakeLists.txt, target tsan_tests): the two
# builds above compile every file already, and this tree runs nothing else
step "build (TSan, threaded code)"
cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DLINKSNAP_SANITIZE=thread -DLINKSNAP_WERROR=ON >/dev/null
cmake --build build-tsan -j"$jobs" --target tsan_tests

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1

step "tests (ASan+UBSan): unit and integration"
ctest --test-dir build-asan --output-on-failure -j"$jobs" --timeout 600 -LE slow  # slow: the full e2e matrix, run by hand

# each harness fuzzes for its own LINKSNAP_FUZZ_SECONDS on one core, so -j runs them side
# by side without shortening any
step "fuzzing (clang, libFuzzer): a few seconds per harness"
ctest --test-dir build-clang --output-on-failure -L fuzz -j"$jobs" --timeout 300

# what a sanitizer's own allocator would hide (glibc's arenas, tests/common/test_memtrim.c)
step "tests (clang, no sanitizer): glibc's allocator"
ctest --test-dir build-clang --output-on-failure -L nosan -j"$jobs" --timeout 300

step "tests (TSan): threaded code"
ctest --test-dir build-tsan --output-on-failure -L tsan -j"$jobs" --timeout 900

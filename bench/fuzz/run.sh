#!/usr/bin/env bash
# run.sh -- longer fuzzing runs of the libFuzzer harnesses in fuzz/ (ctest runs each for a
# few seconds only). Builds them with clang into build-fuzz, then fuzzes each harness for
# SECONDS (default 600) with the seeds of fuzz/seeds and a corpus kept in
# build-fuzz/fuzz/corpus/NAME, so later runs start where earlier ones stopped. A crash
# leaves its input in build-fuzz/fuzz/ (crash-*), which becomes a regression seed once
# fixed. Usage: bench/fuzz/run.sh [SECONDS] [HARNESS...]
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-600}
shift || true
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=(fuzz_import fuzz_jsonrpc fuzz_http_auth fuzz_guard fuzz_egress
                                         fuzz_cdpframe fuzz_upload_args fuzz_deflate)
CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz -j"$(nproc 2>/dev/null || echo 2)" --target "${harnesses[@]}"
export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
for h in "${harnesses[@]}"; do
  echo "==== $h for ${secs}s"
  mkdir -p "build-fuzz/fuzz/corpus/$h"
  (cd build-fuzz/fuzz && "./$h" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
      -print_final_stats=1 "corpus/$h" "../../fuzz/seeds/$h")
done

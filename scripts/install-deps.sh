#!/usr/bin/env bash
# install-deps.sh -- installs every Debian 12 package linksnap needs to build, run,
# test and benchmark. Idempotent: it asks apt only for what is missing.
# Usage: scripts/install-deps.sh [--runtime|--test|--bench]   (default: --test)
set -euo pipefail

runtime=(libuv1 libjansson4 libsqlite3-0 libcurl4 libwebsockets17 libwebsockets-evlib-uv
         libpng16-16 libfreetype6 libfontconfig1 libsystemd0
         libc-ares2 libdeflate0 libutf8proc2 libidn2-0 libicu72
         chromium chromium-headless-shell fonts-dejavu-core fonts-noto-cjk fonts-noto-color-emoji)
build=(build-essential cmake pkg-config gcc clang
       libuv1-dev libjansson-dev libsqlite3-dev libcurl4-openssl-dev libwebsockets-dev
       libpng-dev libfreetype-dev libfontconfig-dev libsystemd-dev zlib1g-dev libssl-dev
       libc-ares-dev libdeflate-dev libutf8proc-dev libidn2-dev libicu-dev)
test=(python3 sqlite3 libcairo2-dev systemd bubblewrap util-linux procps libclang-rt-14-dev openssl
      poppler-utils)
bench=(python3-matplotlib hyperfine)

want=("${runtime[@]}" "${build[@]}" "${test[@]}")
case "${1:---test}" in
  --runtime) want=("${runtime[@]}") ;;
  --build)   want=("${runtime[@]}" "${build[@]}") ;;
  --test)    ;;
  --bench)   want+=("${bench[@]}") ;;
  *) echo "usage: $0 [--runtime|--build|--test|--bench]" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# Node and npm: the build runs `npm ci` for Mozilla's Readability (capture/js; configure
# with -DLINKSNAP_TEXT=OFF to build without it), and the web tests and benchmarks use
# playwright-core with the system Chromium. A machine may already carry a Node.js of its
# own that bundles npm; then Debian's packages would conflict with it.
if [ "${1:---test}" != "--runtime" ]; then
  command -v node >/dev/null 2>&1 || missing+=(nodejs)
  command -v npm  >/dev/null 2>&1 || missing+=(npm)
fi
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#want[@]} packages present"
else
  echo "install-deps: installing ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# The web tests' one npm package (playwright-core, pinned by tests/web/package-lock.json);
# it drives /usr/bin/chromium and downloads no browser of its own.
case "${1:---test}" in
  --test|--bench)
    web="$(cd "$(dirname "$0")/.." && pwd)/tests/web"
    if [ ! -d "$web/node_modules/playwright-core" ]; then
      echo "install-deps: npm ci in tests/web"
      (cd "$web" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
    fi ;;
esac
# The capture benchmark's Playwright peer: playwright-core at the version in
# bench/capture/package-lock.json (it drives Debian's chromium; no browser download).
# The diff benchmark's peer: pixelmatch and pngjs as bench/diff/package-lock.json pins them.
if [ "${1:-}" = "--bench" ]; then
  (cd "$(dirname "$0")/../bench/diff" && npm ci --no-audit --no-fund)
  cd "$(dirname "$0")/../bench/capture"
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
fi

#!/usr/bin/env bash
# quickstart.sh -- the README's first command: installs every dependency from Debian's
# packages, builds linksnap, starts linksnapd on its default state dir (if none is running
# there yet), and runs the main job on built-in example data: the bundled pages in
# examples/site are served on 127.0.0.1, added with tags, captured as full-page
# screenshots, and listed. Works offline. Leaves linksnapd running.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)

echo "==== installing dependencies (Debian packages)"
bash scripts/install-deps.sh --build

echo "==== building"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc 2>/dev/null || echo 2)"

LINKSNAP="$top/build/cli/linksnap"
LINKSNAPD="$top/build/daemon/linksnapd"
if [ "$(id -u)" -eq 0 ]; then
  state=/var/lib/linksnap
else
  state="${XDG_STATE_HOME:-$HOME/.local/state}/linksnap"
fi
mkdir -p "$state"
chmod 700 "$state"

echo "==== starting linksnapd"
if "$LINKSNAP" status >/dev/null 2>&1; then
  echo "linksnapd is already running"
else
  nohup "$LINKSNAPD" >>"$state/linksnapd.log" 2>&1 &
  for _ in $(seq 1 100); do
    "$LINKSNAP" status >/dev/null 2>&1 && break
    sleep 0.1
  done
  "$LINKSNAP" status >/dev/null || { echo "linksnapd did not start; see $state/linksnapd.log" >&2; exit 1; }
  echo "linksnapd started (log: $state/linksnapd.log)"
fi

echo "==== serving the example pages on 127.0.0.1"
# a fixed port keeps the example links the same from one run to the next (a second run
# adds nothing new); any free port when it is taken
portfile=$(mktemp)
port=8749
if python3 -c "import socket,sys; s=socket.socket(); s.bind(('127.0.0.1', $port))" 2>/dev/null; then
  :
else
  port=0
fi
python3 -u -m http.server "$port" --bind 127.0.0.1 --directory examples/site >"$portfile" 2>/dev/null &
server=$!
trap 'kill $server 2>/dev/null || true; rm -f "$portfile"' EXIT
port=
for _ in $(seq 1 100); do
  port=$(sed -n 's/.* port \([0-9]*\).*/\1/p' "$portfile" | head -n1)
  [ -n "$port" ] && break
  sleep 0.05
done
[ -n "$port" ] || { echo "could not start the example web server" >&2; exit 1; }
base="http://127.0.0.1:$port"

echo "==== adding example links with tags, and capturing them"
wait_flag=--wait
"$LINKSNAP" add "$base/sqlite.html" -t database -t 数据库 -t reading $wait_flag
"$LINKSNAP" add "$base/libuv.html" -t c -t 网络 -t reading $wait_flag
"$LINKSNAP" add "$base/zh.html" -t 中文 -t 文档 $wait_flag
"$LINKSNAP" add "$base/tall.html" -t test-pages $wait_flag
"$LINKSNAP" add "$base/gallery.html" -t test-pages -t images $wait_flag

echo
echo "==== linksnap ls"
"$LINKSNAP" ls
echo
echo "==== linksnap tags"
"$LINKSNAP" tags
echo
echo "==== linksnap status"
"$LINKSNAP" status
echo
echo "linksnapd keeps running; screenshots are under $state/snapshots."
# the page needs its token even on loopback: this address carries it and logs you in;
# without a page, daemon.status.http says why
if url=$("$LINKSNAP" web 2>/dev/null); then
  echo "The web page (opening it logs you in): $url"
else
  "$LINKSNAP" call daemon.status | python3 -c '
import json, sys
h = json.load(sys.stdin).get("http") or {}
print("No web page: %s" % (h.get("error") or "http.listen = off"))'
fi
echo "Try: $LINKSNAP ls -t 数据库    $LINKSNAP show 1    kill \$(cat $state/linksnapd.lock)   (to stop it)"

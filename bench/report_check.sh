#!/usr/bin/env bash
# Renders the report for data/ in headless Chromium (Debian's package, installed if missing),
# checks that it loads without console errors or network requests, and saves a screenshot.
#   bash bench/report_check.sh [OUT_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/target/report_check}
mkdir -p "$out"
cd "$root"
if ! command -v chromium >/dev/null 2>&1; then
  echo "installing Debian's chromium" >&2
  apt-get update -qq && apt-get install -y -qq chromium >/dev/null
fi
cargo build --release -q
bin=target/release/stance
$bin score data/articles.jsonl --quiet --out "$out/scores.jsonl"
$bin report "$out/scores.jsonl" --out "$out/report.html"
profile=$(mktemp -d)
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
  --disable-background-networking --disable-component-update --disable-sync
  --user-data-dir="$profile" --enable-logging=stderr --v=0 --hide-scrollbars)
chromium "${flags[@]}" --window-size=1400,4200 --screenshot="$out/report.png" \
  "file://$out/report.html" 2> "$out/chromium.log" >/dev/null || true
chromium "${flags[@]}" --dump-dom "file://$out/report.html" > "$out/dom.html" 2>/dev/null || true
rm -rf "$profile"
fail=0
if grep -E "CONSOLE|Uncaught|ERR_" "$out/chromium.log" | grep -v -i "gpu\|dbus\|sandbox" ; then
  echo "FAIL: console errors or failed requests (above)"; fail=1
fi
svgs=$(grep -o "<svg" "$out/dom.html" | wc -l)
tables=$(grep -o "<table" "$out/dom.html" | wc -l)
if [ "$svgs" -lt 3 ] || [ "$tables" -lt 2 ]; then
  echo "FAIL: rendered page has $svgs charts and $tables tables"; fail=1
fi
if grep -Eo '(src|href)="https?://' "$out/report.html"; then
  echo "FAIL: the page refers to the network"; fail=1
fi
[ -s "$out/report.png" ] || { echo "FAIL: no screenshot"; fail=1; }
echo "report: $out/report.html; screenshot: $out/report.png; $svgs charts, $tables tables"
[ "$fail" = 0 ] && echo PASS
exit "$fail"

#!/usr/bin/env bash
# Checks `fedsim report` in a real browser: makes the quickstart comparison and a small Decor vs
# LDP privacy sweep, renders each report.html in headless Chromium (Debian's `chromium`) and checks
# that the page loads without script or console errors and that every chart's SVG is laid out
# with a non-zero size; writes report.png next to each page. The reports stay in the folder given
# as first argument (default: a temporary folder, removed at the end).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-packages.sh chromium python3
swift build -c release --product fedsim
fedsim=.build/release/fedsim
keep=${1:-}
work=${keep:-$(mktemp -d)}
mkdir -p "$work"
[ -n "$keep" ] || trap 'rm -rf "$work"' EXIT

rm -rf "$work/quickstart" "$work/decor"
"$fedsim" sweep scenarios/quickstart.yaml --grid aggregator.name=fedavg,local --out "$work/quickstart" --quiet >/dev/null
"$fedsim" sweep scenarios/decor-synthetic.yaml --grid aggregator.name=decor,ldp --grid privacy.target_epsilon=10,20,40 \
  --set schedule.rounds=1000 --set evaluation.every=50 --out "$work/decor" --quiet >/dev/null

browser() {
  chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --allow-file-access-from-files "$@"
}

status=0
for name in quickstart decor; do
  report="$work/$name/report"
  # The page with a probe that records script errors and console errors, and measures every chart.
  python3 - "$report/report.html" "$report/check.html" <<'PY'
import sys
page = open(sys.argv[1], encoding="utf-8").read()
probe = """<script>
window.__errors = [];
window.addEventListener('error', function (e) { window.__errors.push(String(e.message)); });
var originalError = console.error;
console.error = function () { window.__errors.push(Array.prototype.join.call(arguments, ' ')); originalError.apply(console, arguments); };
window.addEventListener('load', function () {
  var svgs = Array.prototype.slice.call(document.querySelectorAll('figure > svg'));
  var sizes = svgs.map(function (s) { var r = s.getBoundingClientRect(); return [s.getAttribute('aria-label'), r.width, r.height]; });
  var pre = document.createElement('pre');
  pre.id = 'fedsim-check';
  pre.textContent = JSON.stringify({errors: window.__errors, figures: document.querySelectorAll('figure').length, svgs: sizes});
  document.body.appendChild(pre);
});
</script>"""
open(sys.argv[2], "w", encoding="utf-8").write(page.replace("<head>", "<head>\n" + probe, 1))
PY
  browser --virtual-time-budget=5000 --enable-logging=stderr --v=0 --dump-dom "file://$(realpath "$report/check.html")" \
    >"$report/check.dom" 2>"$report/check.log"
  browser --window-size=1460,2200 --screenshot="$report/report.png" "file://$(realpath "$report/report.html")" >/dev/null 2>&1
  rm -f "$report/check.html"
  if ! python3 - "$report" <<'PY'
import html, json, os, re, sys
report = sys.argv[1]
dom = open(os.path.join(report, "check.dom"), encoding="utf-8").read()
match = re.search(r'<pre id="fedsim-check">(.*?)</pre>', dom, re.S)
if not match:
    sys.exit(f"{report}: the page did not finish loading (no probe output)")
result = json.loads(html.unescape(match.group(1)))
files = [f for f in os.listdir(report) if f.endswith(".svg")]
log = open(os.path.join(report, "check.log"), encoding="utf-8", errors="replace").read()
console = [line for line in log.splitlines() if "CONSOLE" in line]
problems = []
if result["errors"]:
    problems.append(f"script errors: {result['errors']}")
if console:
    problems.append(f"console messages: {console}")
if len(result["svgs"]) != len(files) or result["figures"] != len(files):
    problems.append(f"{len(result['svgs'])} charts in the page, {result['figures']} figures, {len(files)} SVG files")
for label, width, height in result["svgs"]:
    if not (width > 0 and height > 0):
        problems.append(f"chart '{label}' is {width}×{height}")
png = os.path.join(report, "report.png")
if not os.path.exists(png) or os.path.getsize(png) < 10000:
    problems.append("no screenshot")
if problems:
    sys.exit(f"{report}: " + "; ".join(problems))
print(f"{report}: {len(result['svgs'])} charts rendered, no errors; screenshot {png}")
PY
  then
    status=1
  fi
  rm -f "$report/check.dom" "$report/check.log"
done
exit $status

"""The report page in a real browser: headless Chromium (Debian's ``chromium`` package) loads the
generated file with the network disabled, and a probe script injected into a copy of the page
records every JavaScript error and what each plot drew.

The probe is installed first in ``<head>`` (it collects ``error`` events, resource failures included,
unhandled rejections and ``console.error``) and, after ``load``, writes one JSON record per plot
(traces, traces with data, whether an SVG was rendered) into a ``<pre>`` that ``--dump-dom`` prints.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from report_runs import grid_runs, pareto_runs

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (apt-get install -y chromium)")

PROBE_HEAD = """<script>window.__errs=[];
window.addEventListener('error',function(e){var t=e.target||{};window.__errs.push('error: '+(e.message||t.src||t.href||'resource'))},true);
window.addEventListener('unhandledrejection',function(e){window.__errs.push('rejection: '+e.reason)});
(function(){var o=console.error;console.error=function(){window.__errs.push('console.error: '+Array.prototype.join.call(arguments,' '));o.apply(console,arguments)}})();
</script>"""

PROBE_TAIL = """<script>window.addEventListener('load',function(){setTimeout(function(){
function filled(a){if(!a||!a.length)return 0;var n=0;for(var i=0;i<a.length;i++){var v=a[i];if(Array.isArray(v))n+=filled(v);else if(v!==null&&v!==undefined&&!(typeof v==='number'&&isNaN(v)))n++}return n}
var out=[];document.querySelectorAll('.archgym-plot').forEach(function(gd){
var t=0,d=0;(gd._fullData||[]).forEach(function(tr){t++;if(filled(tr.x)+filled(tr.y)+filled(tr.z)>0)d++});
out.push({id:gd.id,traces:t,with_data:d,svg:!!gd.querySelector('.main-svg')})});
var pre=document.createElement('pre');pre.id='archgym-check';pre.textContent=JSON.stringify({plots:out,errors:window.__errs});
document.body.appendChild(pre)},300)})</script>"""


def load_in_chromium(page: Path, tmp: Path) -> tuple[dict, str]:
    probed = tmp / "probed.html"
    text = page.read_text(encoding="utf-8")
    probed.write_text(text.replace("<head>", "<head>" + PROBE_HEAD, 1).replace("</body>", PROBE_TAIL + "</body>"),
                      encoding="utf-8")
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", f"--user-data-dir={tmp / 'profile'}",
           "--proxy-server=127.0.0.1:9", "--enable-logging=stderr", "--v=0", "--virtual-time-budget=15000",
           "--dump-dom", probed.as_uri()]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    m = re.search(r'<pre id="archgym-check">(.*?)</pre>', proc.stdout, re.S)
    assert m, f"the probe did not run; chromium exit {proc.returncode}: {proc.stderr[-2000:]}"
    import html

    return json.loads(html.unescape(m.group(1))), proc.stderr


def test_report_page_loads_without_errors_and_every_plot_has_data(tmp_path: Path):
    from archgym.report import build_report

    runs = tmp_path / "runs"
    grid_runs(runs, budget=24)
    pareto_runs(runs, budget=24)
    rep = build_report(runs, out=tmp_path / "report.html")
    expected = rep.html.read_text(encoding="utf-8").count('class="plot archgym-plot"')
    assert expected >= 9  # curves, ranking, parallel, importance; curves, parallel, pareto, hypervolume, importance

    result, stderr = load_in_chromium(rep.html, tmp_path)
    assert result["errors"] == []
    console = [ln for ln in stderr.splitlines() if ":CONSOLE" in ln]
    assert console == [], console  # nothing logged to the console at all
    plots = result["plots"]
    assert len(plots) == expected
    for p in plots:
        assert p["svg"] and p["traces"] >= 1 and p["with_data"] == p["traces"], p
    ids = {p["id"].rsplit("-", 1)[0] for p in plots}
    assert ids == {"curves", "ranking", "parallel", "importance", "pareto", "hypervolume"}


def test_the_probe_catches_errors_and_empty_plots(tmp_path: Path):
    """The check can fail: a page with a script error and an empty plot is reported as such."""
    import plotly.graph_objects as go

    from archgym.report._html import page, plot_div

    body = plot_div(go.Figure(go.Scatter(x=[], y=[])), "empty") + "<script>undefinedFunction();</script>"
    bad = tmp_path / "bad.html"
    bad.write_text(page("bad", "", [("s", "s", body)]), encoding="utf-8")
    result, stderr = load_in_chromium(bad, tmp_path)
    assert any("undefinedFunction" in e for e in result["errors"])
    assert any("undefinedFunction" in ln for ln in stderr.splitlines() if ":CONSOLE" in ln)  # both channels see it
    assert result["plots"] == [{"id": "empty", "traces": 1, "with_data": 0, "svg": True}]

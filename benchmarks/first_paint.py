"""First contentful paint of the residents' pages on a throttled phone, in headless Chromium.

Usage: python benchmarks/first_paint.py [--runs 7] [--profile fast3g|slow3g]
       [--base /tmp/h17b-base] [--database-url postgresql://…/postgres]

Serves the app with gunicorn (2 workers, loopback only) on a temporary instance seeded like the
other benchmarks (the Mairie Bus questionnaire and one collection point), then, for each page,
opens a fresh browser context (cold cache, no cookie) in Debian's Chromium driven by Playwright:
a 360x740 phone, the network throttled with DevTools ``Network.emulateNetworkConditions`` and
the CPU slowed 4x with ``Emulation.setCPUThrottlingRate``. It reads ``first-contentful-paint``
from ``performance.getEntriesByType('paint')`` and reports the median of ``--runs`` loads.

Pages: home ``/``, the QR start page ``/q/<code>``, a questionnaire page (``/repondre/visit``,
reached by pressing "Commencer" first, unthrottled; the cache is then cleared), the Pass start
page ``/pass`` and a Pass step (``/pass/question``, same way), ``/calendrier``.

With ``--base DIR`` (a checkout of an older commit, e.g. ``git worktree add /tmp/base <sha>``)
the same pages are measured on that code too, served from the same instance, page by page
alternately (before, after, before, …) so that the other load on a shared machine weighs on
both alike.

Network profiles (Chrome DevTools / Puppeteer presets, latency added per request):

* ``fast3g``: 562.5 ms latency (150 ms x 3.75), 1.44 Mbit/s down, 675 kbit/s up;
* ``slow3g``: 2000 ms latency (400 ms x 5), 400 kbit/s down and up.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loadgen import ROOT, Gunicorn, TemporaryDatabase  # noqa: E402
from submissions_benchmark import prepare  # noqa: E402

sys.path.insert(0, str(ROOT))
from tests.browser.conftest import CHROMIUM_ARGS, PHONE  # noqa: E402

PROFILES = {
    "fast3g": {
        "offline": False,
        "latency": 150 * 3.75,
        "downloadThroughput": 1.6 * 1000 * 1000 / 8 * 0.9,
        "uploadThroughput": 750 * 1000 / 8 * 0.9,
    },
    "slow3g": {
        "offline": False,
        "latency": 400 * 5,
        "downloadThroughput": 500 * 1000 / 8 * 0.8,
        "uploadThroughput": 500 * 1000 / 8 * 0.8,
    },
}
CPU_SLOWDOWN = 4
FCP_SCRIPT = """new Promise(resolve => {
  const seen = performance.getEntriesByName('first-contentful-paint');
  if (seen.length) { resolve(seen[0].startTime); return; }
  new PerformanceObserver((list, observer) => {
    for (const entry of list.getEntries()) {
      if (entry.name === 'first-contentful-paint') { observer.disconnect(); resolve(entry.startTime); }
    }
  }).observe({type: 'paint', buffered: true});
})"""
NAVIGATION_TIMEOUT_MS = 60_000
#: Loads thrown away before measuring a page on a server: gunicorn runs 2 workers and the first
#: page each one renders compiles its templates; one warm-up load left the other worker cold,
#: and that one slow load (300 ms more) moved the median of 5.
WARM_UP_LOADS = 3
#: With --detail: when the page's own steps happened, and each resource (profile of a load).
DETAIL_SCRIPT = """(() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const round = (v) => Math.round(v);
  return {
    response_start: round(nav.responseStart), response_end: round(nav.responseEnd),
    dom_interactive: round(nav.domInteractive),
    dom_content_loaded: round(nav.domContentLoadedEventEnd), load: round(nav.loadEventEnd),
    html_bytes: nav.transferSize,
    resources: performance.getEntriesByType('resource').map(r => [
      r.name.replace(location.origin, ''), round(r.startTime), round(r.responseEnd),
      r.renderBlockingStatus || '', r.transferSize]),
  };
})()"""


@dataclass
class PageCase:
    name: str
    path: str
    #: Steps run unthrottled in the same context before the measured load (cookies, a draft).
    prepare: Callable[[object, str], None] | None = None


def _press(path: str, button: str) -> Callable[[object, str], None]:
    """Open ``path`` and press the submit button named ``button`` (a draft or a sitting)."""

    def run(page, base_url: str) -> None:  # type: ignore[no-untyped-def]
        page.goto(base_url + path)
        with page.expect_navigation():
            page.get_by_role("button", name=button).click()

    return run


def cases(code: str) -> list[PageCase]:
    return [
        PageCase("home /", "/"),
        PageCase("QR start page /q/<code>", f"/q/{code}"),
        PageCase("questionnaire page", "/repondre/visit", _press(f"/q/{code}", "Commencer")),
        PageCase("Pass start /pass", "/pass"),
        PageCase("Pass step /pass/question", "/pass/question", _press("/pass", "Commencer")),
        PageCase("calendar /calendrier", "/calendrier"),
    ]


def first_paint(
    browser, base_url: str, case: PageCase, profile: dict, detail: bool = False
) -> float:  # type: ignore[no-untyped-def,type-arg]
    """Milliseconds to the first contentful paint of one cold load."""
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        page.set_default_timeout(NAVIGATION_TIMEOUT_MS)
        if case.prepare is not None:
            case.prepare(page, base_url)
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.clearBrowserCache")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})
        cdp.send("Network.emulateNetworkConditions", profile)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
        response = page.goto(base_url + case.path, wait_until="load")
        if response is None or response.status != 200 or not response.url.endswith(case.path):
            raise RuntimeError(
                f"{case.path}: {response and response.status} {response and response.url}"
            )
        # A promise awaited by evaluate (wait_for_function would eval a string, which the
        # page's CSP forbids in some Chromium builds).
        value = page.evaluate(FCP_SCRIPT)
        if detail:
            steps = page.evaluate(DETAIL_SCRIPT)
            resources = steps.pop("resources")
            print(f"    {case.path} FCP {value:.0f} ms, {steps}", flush=True)
            for name, start, end, blocking, size in resources:
                print(f"      {name} {start}-{end} ms {blocking} {size} B", flush=True)
        return float(value)
    finally:
        context.close()


def _measured_loads(
    browser, url: str, case: PageCase, profile: dict, args: argparse.Namespace
) -> list[float]:  # type: ignore[no-untyped-def,type-arg]
    """First paints of ``args.runs`` loads of one page, after the warm-up loads."""
    values = [
        first_paint(browser, url, case, profile, detail=args.detail)
        for _ in range(args.runs + WARM_UP_LOADS)
    ]
    return values[WARM_UP_LOADS:]


def _report(label: str, case: PageCase, values: list[float]) -> float:
    """Print a page's median and spread; return the median."""
    median = statistics.median(values)
    print(
        f"{label:6} {case.name:28} FCP median {median:6.0f} ms "
        f"({min(values):.0f}-{max(values):.0f})",
        flush=True,
    )
    return median


def _saved_pages(browser, profile: dict, args: argparse.Namespace) -> None:  # type: ignore[no-untyped-def,type-arg]
    """Pages saved as files (``--saved DIR``, e.g. a page and the same page without its
    ``<style>``), served by the bare app: what their HTML and CSS cost Chromium."""
    folder = Path(args.saved).resolve()
    with Gunicorn("benchmarks.hello_app:app", env={"SAVED_PAGES_DIR": str(folder)}) as saved:
        for file in sorted(folder.glob("*.html")):
            case = PageCase(f"saved {file.stem}", f"/saved/{file.stem}")
            _report("saved", case, _measured_loads(browser, saved.url, case, profile, args))


def measure(args: argparse.Namespace, admin_url: str | None) -> list[tuple[str, str, float, int]]:
    """(code label, page, median ms, runs) for each server and page."""
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    profile = PROFILES[args.profile]
    rows = []
    with tempfile.TemporaryDirectory() as directory, TemporaryDatabase(admin_url) as url:
        env, code = prepare(directory, url)
        env["MAIRIEBUS_COMPRESS"] = "1" if args.compress else "0"
        target = "benchmarks.submissions_benchmark:bench_app()"
        servers: list[tuple[str, Gunicorn]] = [("after", Gunicorn(target, env=env))]
        if args.base:
            base = Gunicorn(target, env=env)
            base._cmd[base._cmd.index("--chdir") + 1] = str(Path(args.base).resolve())
            servers.insert(0, ("before", base))
        for _label, server in servers:
            server.__enter__()
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=chromium, headless=True, args=CHROMIUM_ARGS
                )
                for case in cases(code):
                    if args.only and args.only not in case.name:
                        continue
                    timings: dict[str, list[float]] = {label: [] for label, _ in servers}
                    for run in range(args.runs + WARM_UP_LOADS):
                        for label, server in servers:
                            value = first_paint(
                                browser, server.url, case, profile, detail=args.detail
                            )
                            if run >= WARM_UP_LOADS:
                                timings[label].append(value)
                    for label, _server in servers:
                        median = _report(label, case, timings[label])
                        rows.append((label, case.name, median, len(timings[label])))
                if args.saved:
                    _saved_pages(browser, profile, args)
                # The floor: a 180-byte page from a bare Flask app, same server, same profile.
                # What a page costs beyond it is what the page itself can still win.
                with Gunicorn("benchmarks.hello_app:app") as hello:
                    floor = PageCase("bare HTML page (floor)", "/page")
                    values = _measured_loads(browser, hello.url, floor, profile, args)
                    median = _report("floor", floor, values)
                    rows.append(("floor", floor.name, median, len(values)))
                browser.close()
        finally:
            for _label, server in servers:
                server.__exit__()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--profile", choices=sorted(PROFILES), default="fast3g")
    parser.add_argument("--base", default=None, help="a checkout of the code to compare with")
    parser.add_argument("--database-url", default=None, help="PostgreSQL admin URL")
    parser.add_argument("--compress", action="store_true", help="MAIRIEBUS_COMPRESS=1")
    parser.add_argument(
        "--detail", action="store_true", help="print each load's timings and resources"
    )
    parser.add_argument("--only", default=None, help="measure only the pages whose name has this")
    parser.add_argument(
        "--saved", default=None, help="also measure the .html files of this folder, as files"
    )
    args = parser.parse_args()
    print(
        f"# {date.today()} on {platform.node()} ({os.cpu_count()} cores, load "
        f"{os.getloadavg()[0]:.1f}), profile {args.profile}, CPU {CPU_SLOWDOWN}x slower, "
        f"360x740, median of {args.runs} cold loads, compression "
        f"{'on' if args.compress else 'off'}"
    )
    databases: list[tuple[str, str | None]] = [("SQLite", None)]
    if args.database_url:
        databases.append(("PostgreSQL", args.database_url))
    table = []
    for database, url in databases:
        for label, page, median, _runs in measure(args, url):
            table.append((database, page, label, median))
    print("\n| database | page | code | FCP median ms |")
    print("|---|---|---|---|")
    for database, page, label, median in table:
        print(f"| {database} | {page} | {label} | {median:.0f} |")


if __name__ == "__main__":
    main()

"""Benchmark of the site in the browser (not part of `uv run pytest`):
`uv run python tests/benchmark_site.py [--site DIR] [--rounds N]`.

Builds the site (or takes a built one: `--site DIR`, e.g. a build of an older commit to compare),
serves it on loopback and opens every page in Debian's Chromium as tests/test_browser.py does.
Prints what each page weighs (HTML, scripts and stylesheets it loads; what loads in the
background for the search), then, as medians of several rounds in one browser:
  visits   pages per second, each page opened in a new tab until its `load` event (the floor);
  checks   pages per second through every check tests/test_browser.py runs on a page (its desktop
           and phone visits: axe-core, weight, title and copy buttons, diagrams, sideways scrolling,
           clicking every copy button, dark mode, the navigation drawer, two screenshots), and
           that cost as a multiple of the floor;
  search   pasted lines per second into the search box of one loaded troubleshooting page.
The checks' results are counted too: a benchmark of checks that fail measures the wrong thing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import test_browser  # noqa: E402
from harness.browser import Browser  # noqa: E402
from harness.site import build, page_path, serve  # noqa: E402

ROUNDS = 5


def html_pages(site: Path) -> list[str]:
    """Site paths of the built pages (404.html left out: its links point at the published site)."""
    return sorted(p.parent.relative_to(site).as_posix().removeprefix(".") + "/" for p in site.rglob("index.html"))


def problems(results: dict) -> int:
    """How many problems a page_checks or search_checks result holds."""
    return sum(problems(v) if isinstance(v, dict) else len(v) for k, v in results.items() if k != "copied")


def rate(rounds: int, items: int, run: Callable[[], int]) -> tuple[float, int]:
    """Median items per second of `rounds` runs of run(), and the problems the last run found."""
    rates, found = [], 0
    for _ in range(rounds):
        start = time.perf_counter()
        found = run()
        rates.append(items / (time.perf_counter() - start))
    return statistics.median(rates), found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, help="a built site to measure (default: build this one)")
    parser.add_argument("--rounds", type=int, default=ROUNDS, help=f"rounds per figure (default {ROUNDS})")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        site = args.site
        if site is None:
            done = build(Path(tmp) / "site")
            if not done.ok:
                sys.exit("\n".join(done.problems))
            site = done.site
        pages = [p.lstrip("/") for p in html_pages(site)]
        checked = [p for p in test_browser.PAGES if (site / page_path(p) / "index.html").is_file()]
        lines = len(test_browser.pasted_lines())
        with serve(site) as url:
            browser = Browser(site, url, Path(tmp) / "profile")
            try:
                print(f"{'page':<22} {'HTML':>8} {'scripts':>9} {'styles':>8} {'page total':>11} {'background':>11}")
                for page in pages:
                    with browser.visit(page) as visit:
                        weight = browser.weight(visit)
                    total = sum(weight.get(k, 0) for k in ("html", "scripts", "stylesheets"))
                    print(
                        f"{page or '(home)':<22} {weight.get('html', 0) / 1000:>6.0f}KB "
                        f"{weight.get('scripts', 0) / 1000:>7.0f}KB {weight.get('stylesheets', 0) / 1000:>6.0f}KB "
                        f"{total / 1000:>9.0f}KB {weight.get('background', 0) / 1000:>9.0f}KB"
                    )

                def visits() -> int:
                    for page in pages:
                        with browser.visit(page, wait="load"):
                            pass
                    return 0

                def checks() -> int:
                    return sum(problems(test_browser.page_checks(browser, p, Path(tmp))) for p in checked)

                floor, _ = rate(args.rounds, len(pages), visits)
                print(f"\nmedians of {args.rounds} rounds")
                print(f"visits: {floor:.2f} pages/s ({len(pages)} pages, each opened in a new tab until `load`)")
                per_page, found = rate(args.rounds, len(checked), checks)
                print(f"checks: {per_page:.2f} pages/s ({len(checked)} pages, every check of test_browser.py; "
                      f"{floor / per_page:.1f}x a visit; {found} problems)")
                if lines:
                    per_line, found = rate(args.rounds, lines, lambda: problems(test_browser.search_checks(browser)))
                    print(f"search: {per_line:.2f} lines/s ({lines} pasted lines, one loaded page; {found} problems)")
            finally:
                browser.close()


if __name__ == "__main__":
    main()

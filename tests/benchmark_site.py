"""Benchmark of the site in the browser (not part of `uv run pytest`):
`uv run python tests/benchmark_site.py [--site DIR]`.

Builds the site (or takes a built one: `--site DIR`, e.g. a build of an older commit to compare),
serves it on loopback and opens every page in Debian's Chromium as tests/test_browser.py does.
Prints what each page weighs (HTML, scripts and stylesheets it loads; what loads in the
background for the search) and the browser's throughput in pages per second: the median of
several rounds over all pages, each page opened in a new tab until its `load` event.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from harness.browser import Browser  # noqa: E402
from harness.site import build, serve  # noqa: E402

ROUNDS = 5


def html_pages(site: Path) -> list[str]:
    """Site paths of the built pages (404.html left out: its links point at the published site)."""
    return sorted(p.parent.relative_to(site).as_posix().removeprefix(".") + "/" for p in site.rglob("index.html"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, help="a built site to measure (default: build this one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        site = args.site
        if site is None:
            done = build(Path(tmp) / "site")
            if not done.ok:
                sys.exit("\n".join(done.problems))
            site = done.site
        pages = [p.lstrip("/") for p in html_pages(site)]
        with serve(site) as url:
            browser = Browser(site, url, Path(tmp) / "profile")
            try:
                print(f"{'page':<22} {'HTML':>8} {'scripts':>9} {'styles':>8} {'page total':>11} {'background':>11}")
                for page in pages:
                    with browser.visit(page, f"{page}index.html") as visit:
                        weight = browser.weight(visit)
                    total = sum(weight.get(k, 0) for k in ("html", "scripts", "stylesheets"))
                    print(
                        f"{page or '(home)':<22} {weight.get('html', 0) / 1000:>6.0f}KB "
                        f"{weight.get('scripts', 0) / 1000:>7.0f}KB {weight.get('stylesheets', 0) / 1000:>6.0f}KB "
                        f"{total / 1000:>9.0f}KB {weight.get('background', 0) / 1000:>9.0f}KB"
                    )
                rates = []
                for _ in range(ROUNDS):
                    start = time.perf_counter()
                    for page in pages:
                        with browser.visit(page, page, wait="load"):
                            pass
                    rates.append(len(pages) / (time.perf_counter() - start))
                print(f"\nbrowser: {statistics.median(rates):.1f} pages/s (median of {ROUNDS} rounds over "
                      f"{len(pages)} pages, each opened in a new tab until `load`)")
            finally:
                browser.close()


if __name__ == "__main__":
    main()

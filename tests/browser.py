"""A real browser for the HTML tests: the system's headless Chromium, driven by Playwright.

Without Chromium (a developer's machine) the browser tests are skipped with the
reason; under ``CI=true`` a missing browser fails them, so CI cannot go green without
having looked at the pages.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str:
    """Path of the Chromium binary, or skip (fail under CI) with the reason."""
    path = os.environ.get("CLUSTERLAB_CHROMIUM") or shutil.which("chromium")
    problem = None
    if path is None:
        problem = "Chromium is not installed (Debian: apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "playwright is not installed (pip install -e '.[dev]')"
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true, and the browser tests cannot run: {problem}")
        pytest.skip(problem)
    return path


class Visit:
    """What happened while a page loaded: console messages, errors, requests, images."""

    def __init__(self) -> None:
        self.console: list[str] = []
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.images: list[dict] = []
        self.width_overflow = 0


def open_page(browser, path: Path, *, width: int = 1000, screenshot: Path | None = None) -> Visit:
    """Load ``path`` from disk in a fresh page; every request but the file itself is aborted."""
    visit = Visit()
    own = path.resolve().as_uri()
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.on("console", lambda m: visit.console.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: visit.errors.append(str(e)))

    def route(r):
        url = r.request.url
        visit.requests.append(url)
        if url == own or url.startswith("data:"):
            r.continue_()
        else:
            r.abort()

    page.route("**/*", route)
    page.goto(own, wait_until="load")
    visit.images = page.evaluate(
        "Array.from(document.images).map(i => "
        "({src: i.src.slice(0, 40), complete: i.complete, width: i.naturalWidth}))"
    )
    visit.width_overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    if screenshot is not None:
        page.screenshot(path=str(screenshot), full_page=False)
    context.close()
    return visit

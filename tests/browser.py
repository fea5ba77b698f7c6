"""Open a page in the system's headless Chromium (Debian `chromium` + `chromium-driver`).

Selenium drives /usr/bin/chromium through /usr/bin/chromedriver: both paths are given, so
Selenium Manager never downloads a browser or a driver. JavaScript errors are caught from the
first script on (a handler injected before the page's own scripts) and from the browser log.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")

CATCH_ERRORS = """
window.__errors = [];
window.addEventListener('error', e => window.__errors.push(String(e.message || e)));
window.addEventListener('unhandledrejection', e => window.__errors.push(String(e.reason)));
"""


def missing_browser() -> str | None:
    """Why the browser tests cannot run here (None when they can)."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if not path.exists() and not shutil.which(path.name):
            return (
                f"{path} not installed (Debian chromium and chromium-driver; .ci/run installs them)"
            )
    return None


@contextmanager
def chromium(profile_dir: Path, width: int = 1400, height: int = 1000) -> Iterator[object]:
    """A headless Chromium WebDriver with a fresh profile; quit on exit."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile_dir.mkdir(parents=True, exist_ok=True)
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless",
        "--no-sandbox",  # tests run as root in CI
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile_dir}",
        f"--window-size={width},{height}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    try:
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CATCH_ERRORS})
        yield driver
    finally:
        driver.quit()


def js_errors(driver) -> list[str]:
    """Errors the page raised plus SEVERE browser-log entries."""
    errors = list(driver.execute_script("return window.__errors || []"))
    errors += [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    return errors

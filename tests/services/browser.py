"""A real headless Chromium (Debian's chromium and chromium-driver) driven through selenium.

Every host but this machine resolves to nothing, so a page that reaches for a CDN
fails loudly; the browser's console is read back so tests can insist on no errors.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Any

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
#: Where screenshots of the pages are kept (test artifacts; CI keeps the folder).
ARTIFACTS = Path(__file__).resolve().parents[2] / "tests" / "artifacts"


class Browser:
    """One headless Chromium with a fresh profile; ``with Browser() as browser: browser.driver.get(...)``."""

    def __init__(self, width: int = 1280, height: int = 900) -> None:
        self.profile = Path(tempfile.mkdtemp(prefix="statscache-chromium-"))
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for argument in (
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={self.profile}",
            f"--window-size={width},{height}",
            '--host-resolver-rules="MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"',
        ):
            options.add_argument(argument)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.driver = webdriver.Chrome(options=options, service=Service(DRIVER))

    def console_errors(self) -> list[dict[str, Any]]:
        """The console's errors since the last call (warnings and the like are left out)."""
        return [entry for entry in self.driver.get_log("browser") if entry["level"] == "SEVERE"]

    def wait(self, condition: Any, timeout: float = 20) -> Any:
        # A page that refreshes replaces elements between finding and reading them: try again then.
        waiting = WebDriverWait(
            self.driver, timeout, poll_frequency=0.1, ignored_exceptions=(StaleElementReferenceException,)
        )
        return waiting.until(condition)

    def cells(self, selector: str) -> list[list[str]]:
        """The text of each cell of each row that ``selector`` finds, read at one moment (one script)."""
        rows: list[list[str]] = self.driver.execute_script(
            "return Array.from(document.querySelectorAll(arguments[0]), "
            "row => Array.from(row.cells, cell => cell.textContent));",
            selector,
        )
        return rows

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.driver.save_screenshot(str(path))
        return path

    def close(self) -> None:
        try:
            self.driver.quit()
        finally:
            shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> Browser:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

"""The results pages of real runs, opened from file:// in headless Chromium as a reader would.

Uses Debian's ``chromium`` and ``chromium-driver`` through Selenium, with an explicit driver path
so that Selenium Manager never downloads anything. Screenshots are kept in ``test-artifacts/``.

The README's screenshot comes from here too, from the same real results:

    SCRIBA_README_SCREENSHOT=docs/images/report.png \
        .venv/bin/pytest tests/e2e/test_report_browser.py
"""

from __future__ import annotations

import base64
import io
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement

from scriba.local.cloud import LocalCloud
from scriba.local.run import DocumentRun, run_documents
from scriba.models.manifest import ArtifactKind, Status
from scriba.models.summary import Summary
from scriba.models.translation import Translation
from scriba.report import write_report

pytestmark = [pytest.mark.local_engines, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
WIDTH = 1280

# Corpus file -> key in the input bucket (a sub-folder, as a team would upload).
DOCUMENTS = {
    "google-doc-document.pdf": "google-doc-document.pdf",  # text, a picture, es + fr narrated
    "crazyones-pdfa.pdf": "team-a/crazyones-pdfa.pdf",  # English prose, under a prefix
    "habibi.pdf": "habibi.pdf",  # Arabic: no language pair, so partial
    "libreoffice-writer-password.pdf": "libreoffice-writer-password.pdf",  # fails at inspect
}
SHOWCASE = "google-doc-document.pdf"

# Resolves once every <audio> has its metadata (or an error), with what the element reports.
AUDIO_METADATA = """
const done = arguments[arguments.length - 1];
const players = Array.from(document.querySelectorAll("audio"));
const loaded = player => player.readyState >= 1 || player.error
  ? Promise.resolve()
  : new Promise(resolve => {
      player.addEventListener("loadedmetadata", resolve, {once: true});
      player.addEventListener("error", resolve, {once: true});
    });
Promise.all(players.map(loaded)).then(() => done(players.map(player => ({
  src: player.getAttribute("src"),
  lang: player.closest("article").querySelector("p[lang]").getAttribute("lang"),
  readyState: player.readyState,
  duration: player.duration,
  error: player.error ? player.error.code : null,
}))));
"""

# Resolves once every <img> has loaded or failed, with its natural size.
IMAGES_LOADED = """
const done = arguments[arguments.length - 1];
const images = Array.from(document.images);
Promise.all(images.map(image => image.complete ? Promise.resolve() : new Promise(resolve => {
  image.addEventListener("load", resolve, {once: true});
  image.addEventListener("error", resolve, {once: true});
}))).then(() => done(images.map(image => ({
  src: image.getAttribute("src"), width: image.naturalWidth, alt: image.alt,
}))));
"""


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    if not CHROMIUM.is_file() or not CHROMEDRIVER.is_file():
        pytest.skip(
            f"needs Debian's chromium and chromium-driver ({CHROMIUM}, {CHROMEDRIVER}): "
            "apt-get install chromium chromium-driver"
        )
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
        f"--window-size={WIDTH},900",
        "--hide-scrollbars",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_script_timeout(30)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def results(
    browser: WebDriver, corpus: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, DocumentRun]]:
    inbox = tmp_path_factory.mktemp("inbox")
    for name, key in DOCUMENTS.items():
        (inbox / key).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(corpus / name, inbox / key)
    out = tmp_path_factory.mktemp("results")
    with LocalCloud(workers=2, parameters={"TargetLanguages": "es,fr"}) as cloud:
        runs = run_documents([inbox], out, cloud=cloud)
    write_report(out)
    return out, {run.key: run for run in runs}


def show_whole_page(driver: WebDriver, width: int = WIDTH) -> int:
    """Makes the viewport as tall as the page (so lazy images load); returns that height.

    The viewport is set through DevTools: the window size of headless Chromium includes more
    than the page, and a window-sized shot would cut the bottom off.
    """
    metrics = {"width": width, "deviceScaleFactor": 1, "mobile": False}
    # A short viewport first, so that scrollHeight is the page's own height.
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {**metrics, "height": 100})
    height = int(driver.execute_script("return document.documentElement.scrollHeight"))
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {**metrics, "height": height})
    return height


def screenshot(driver: WebDriver, height: int) -> Image.Image:
    """The top ``height`` CSS pixels of the page, once its images are in; resets the viewport."""
    driver.execute_async_script(IMAGES_LOADED)
    width = int(driver.execute_script("return window.innerWidth"))
    clip = {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "clip": clip})
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    return Image.open(io.BytesIO(base64.b64decode(shot["data"])))


def save(image: Image.Image, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)


def rows(driver: WebDriver) -> dict[str, WebElement]:
    found = {}
    for row in driver.find_elements(By.CSS_SELECTOR, "tbody tr"):
        link = row.find_element(By.CSS_SELECTOR, "td.doc a")
        found[link.text.strip()] = row
    return found


def test_the_index_lists_every_document_with_its_status(
    browser: WebDriver, results: tuple[Path, dict[str, DocumentRun]]
) -> None:
    out, runs = results
    browser.get((out / "index.html").as_uri())

    listed = rows(browser)
    assert set(listed) == set(DOCUMENTS.values())
    statuses = {
        key: row.find_element(By.CSS_SELECTOR, ".badge").text for key, row in listed.items()
    }
    assert statuses == {key: run.status.value for key, run in runs.items() if run.status}
    assert statuses["libreoffice-writer-password.pdf"] == "failed"
    assert statuses["habibi.pdf"] == "partial"
    assert statuses[SHOWCASE] == "succeeded"
    failed = listed["libreoffice-writer-password.pdf"].find_element(By.CSS_SELECTOR, ".why")
    assert "password-protected" in failed.text
    save(screenshot(browser, show_whole_page(browser)), ARTIFACTS / "report-index.png")


def test_a_document_page_plays_its_narrations_and_shows_its_pictures(
    browser: WebDriver, results: tuple[Path, dict[str, DocumentRun]]
) -> None:
    out, runs = results
    run = runs[SHOWCASE]
    assert run.output is not None and run.manifest is not None
    browser.get((out / "index.html").as_uri())
    rows(browser)[SHOWCASE].find_element(By.CSS_SELECTOR, "td.doc a").click()
    assert browser.current_url == (run.output / "index.html").as_uri()
    height = show_whole_page(browser)  # every lazy image in view

    summary = Summary.model_validate_json((run.output / "summary.json").read_bytes())
    shown = browser.find_element(By.CSS_SELECTOR, "p.summary")
    assert shown.text == " ".join(summary.text.split())
    assert shown.get_attribute("lang") == summary.language == "en"

    for language in ("es", "fr"):
        translation = Translation.model_validate_json(
            (run.output / f"translations/{language}.json").read_bytes()
        )
        paragraph = browser.find_element(By.CSS_SELECTOR, f"article p[lang='{language}']")
        assert paragraph.text == " ".join(translation.text.split())

    players: list[dict[str, Any]] = browser.execute_async_script(AUDIO_METADATA)
    assert [player["lang"] for player in players] == ["es", "fr"]
    for player in players:
        audio = run.manifest.artifact(ArtifactKind.AUDIO, player["lang"])
        assert audio is not None and audio.status is Status.SUCCEEDED
        assert player["src"] == audio.path
        assert player["error"] is None, player
        assert player["readyState"] >= 1, player
        assert player["duration"] > 0, player
        assert player["duration"] == pytest.approx(audio.details["duration_seconds"], abs=0.5)

    images: list[dict[str, Any]] = browser.execute_async_script(IMAGES_LOADED)
    assert images, "the showcase document has a picture"
    for image in images:
        assert image["width"] > 0, image
        assert image["alt"].startswith("Picture 1 from page 1"), image

    save(screenshot(browser, height), ARTIFACTS / "report-document.png")

    opened = browser.find_element(By.CSS_SELECTOR, "details.page[open] p.text")
    assert "Beautiful is better than ugly." in opened.text

    readme = os.environ.get("SCRIBA_README_SCREENSHOT")
    if readme:
        readme_screenshot(browser, ROOT / readme)


def test_a_partial_and_a_failed_document_say_why(
    browser: WebDriver, results: tuple[Path, dict[str, DocumentRun]]
) -> None:
    out, runs = results
    browser.get((out / "habibi.pdf" / "index.html").as_uri())
    cards = browser.find_elements(By.CSS_SELECTOR, "article.translation")
    assert len(cards) == 2
    for card in cards:
        assert "failed" in card.find_element(By.CSS_SELECTOR, ".badge").text
        assert "unsupported_language_pair" in card.text
    assert browser.find_elements(By.CSS_SELECTOR, "audio") == []

    browser.get((out / "libreoffice-writer-password.pdf" / "index.html").as_uri())
    alert = browser.find_element(By.CSS_SELECTOR, "section.alert")
    assert "Failed at the inspect stage" in alert.text
    assert "encrypted_document" in alert.text

    browser.get((out / "team-a" / "crazyones-pdfa.pdf" / "index.html").as_uri())
    assert "crazyones-pdfa.pdf" in browser.find_element(By.TAG_NAME, "h1").text
    browser.find_element(By.LINK_TEXT, "← All documents").click()
    assert browser.current_url == (out / "index.html").as_uri()
    assert runs["team-a/crazyones-pdfa.pdf"].status is Status.SUCCEEDED


def readme_screenshot(driver: WebDriver, path: Path) -> None:
    """The top of the document page, down to its pictures, small enough to commit."""
    show_whole_page(driver, width=1100)
    bottom = driver.execute_script(
        "return document.getElementById('pictures').closest('section')"
        ".getBoundingClientRect().bottom + window.scrollY + 20"
    )
    shot = screenshot(driver, height=int(bottom)).convert("RGB")
    path.parent.mkdir(parents=True, exist_ok=True)
    # A palette PNG: the page is flat colours and text, a quarter of the size of RGB.
    shot.quantize(colors=128, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
        path, optimize=True
    )

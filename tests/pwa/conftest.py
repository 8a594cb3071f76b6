"""Chromium pages that load the PWA's real modules from ``pwa/`` (no server: Playwright answers the requests).

The origin is ``http://localhost``, a secure context (WebCrypto) with its own IndexedDB; each test gets a fresh
browser context, so a fresh database. Tests call the modules through ``page.evaluate`` with dynamic imports.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Route, sync_playwright

from tests.browser.chromium import CHROMIUM, CHROMIUM_ARGS

PWA = Path(__file__).resolve().parents[2] / "pwa"
ORIGIN = "http://localhost"

# In every page: m() imports the modules under test; unlockHousehold(id, pin) sets the household's PIN on first
# use (as the PIN screen does) and unlocks it afterwards, resolving with the session or null for a wrong PIN.
HELPERS = """
window.m = async () => ({
  store: await import('/js/store.js'), outbox: await import('/js/outbox.js'), c: await import('/js/crypto.js') });
window.GROUP = { id: 7, name: 'Tổ 1', households: [{ id: 1, name: 'Hộ A' }, { id: 2, name: 'Hộ B' }] };
window.unlockHousehold = async (id, pin) => {
  const { store, c } = await m();
  const hh = await store.household(id);
  if (hh?.keys) return c.unlock(hh.keys, pin);
  const { keys, session } = await c.setupPin(pin);
  await store.updateHousehold(id, (x) => ({ ...x, keys }));
  return session;
};
"""


def _serve(route: Route) -> None:
    """A blank page at /, the PWA's files everywhere else (as the server serves them, without the service worker)."""
    path = route.request.url.removeprefix(ORIGIN).split("?")[0]
    if path == "/":
        route.fulfill(body="<!doctype html><meta charset=utf-8><title>pwa modules</title>", content_type="text/html")
        return
    target = (PWA / path.lstrip("/")).resolve()
    if not target.is_relative_to(PWA) or not target.is_file():
        route.fulfill(status=404, body="")
        return
    kind = "text/javascript" if target.suffix == ".js" else mimetypes.guess_type(target.name)[0]
    route.fulfill(body=target.read_bytes(), content_type=kind or "application/octet-stream")


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    """A blank page of the PWA's origin, with an empty IndexedDB; fails the test on any uncaught page error."""
    context = chromium.new_context(base_url=ORIGIN)
    context.route(f"{ORIGIN}/**", _serve)
    context.add_init_script(HELPERS)
    errors: list[str] = []
    tab = context.new_page()
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.goto("/")
    yield tab
    context.close()
    assert errors == []

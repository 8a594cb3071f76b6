"""Security headers and a strict Content-Security-Policy on everything the server sends, pages and worker included.

Walks every file of both front ends (as the server serves them) plus the API's answers, error pages and the
routes without a file name, and checks the HTML itself carries no inline script, event handler or style (the
policy would block them: better to find them here than as a blank screen on a phone). JSON answers carry the
API's set instead of the page policy (issue 12: a browser never renders them, and a phone pays for every byte).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

PWA = Path(__file__).resolve().parents[2] / "pwa"
REQUIRED = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def _directives(policy: str) -> dict[str, list[str]]:
    parts = [part.strip().split() for part in policy.split(";") if part.strip()]
    return {part[0]: part[1:] for part in parts}


def served_urls() -> list[str]:
    files = sorted(p.relative_to(PWA).as_posix() for p in PWA.rglob("*") if p.is_file())
    return ["/", "/officer", "/officer/", *(f"/{name}" for name in files)]


API_REQUIRED = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
}
PAGE_ONLY = ("X-Frame-Options", "Referrer-Policy", "Permissions-Policy", "Cross-Origin-Opener-Policy")


def check_api_headers(url: str, headers: object) -> None:
    """What a JSON answer needs: no sniffing, never cached, a policy that lets nothing load or frame it."""
    for name, value in API_REQUIRED.items():
        assert headers.get(name) == value, (url, name, headers.get(name))  # type: ignore[attr-defined]
    assert not [name for name in PAGE_ONLY if name in headers], (url, "page policy on JSON")  # type: ignore[operator]


def check_headers(url: str, headers: object) -> None:
    for name, value in REQUIRED.items():
        assert headers.get(name) == value, (url, name, headers.get(name))  # type: ignore[attr-defined]
    policy = _directives(headers.get("Content-Security-Policy", ""))  # type: ignore[attr-defined]
    assert policy.get("default-src") == ["'self'"], (url, policy)
    assert policy.get("script-src") == ["'self'"], (url, policy)  # no 'unsafe-inline', no 'unsafe-eval'
    assert policy.get("object-src") == ["'none'"], (url, policy)
    assert policy.get("frame-ancestors") == ["'none'"], (url, policy)
    assert policy.get("base-uri") == ["'self'"], (url, policy)
    assert not any("unsafe" in source for sources in policy.values() for source in sources), (url, policy)


@pytest.mark.parametrize("url", served_urls())
def test_every_front_end_file_has_the_headers(client, url: str) -> None:
    answer = client.get(url)
    assert answer.status_code == 200, url
    check_headers(url, answer.headers)
    answer.close()


@pytest.mark.parametrize(
    "url",
    ["/api/openapi.json", "/api/v1/sync", "/api/v1/officer/reports", "/api/v1/nothing", "/nothing.html", "/%2e%2e/"],
)
def test_api_answers_and_errors_have_the_headers(client, url: str) -> None:
    answer = client.get(url)
    if answer.mimetype == "application/json":
        check_api_headers(url, answer.headers)
    else:
        check_headers(url, answer.headers)


def test_a_sync_answer_carries_only_the_api_headers(phone) -> None:
    answer = phone.client.post("/api/v1/sync", json={"cursor": None, "push": []}, headers=phone.headers)
    assert answer.status_code == 200
    check_api_headers("/api/v1/sync", answer.headers)
    security = {"Content-Security-Policy", "X-Content-Type-Options", "Cache-Control", *PAGE_ONLY}
    assert {name for name, _ in answer.headers.items() if name in security} == set(API_REQUIRED)


def test_html_pages_keep_the_full_policy(client) -> None:
    for url in ("/", "/officer/"):
        answer = client.get(url)
        assert answer.mimetype == "text/html", url
        check_headers(url, answer.headers)
        assert "Permissions-Policy" in answer.headers, url
        answer.close()


def test_the_service_worker_has_its_own_policy_and_scope(client) -> None:
    """A worker's CSP comes from its own response, not from the page that registered it."""
    answer = client.get("/sw.js")
    check_headers("/sw.js", answer.headers)
    assert answer.headers["Service-Worker-Allowed"] == "/"
    assert answer.mimetype == "text/javascript"


class _InlineFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in_inline_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        if tag == "script" and "src" not in names:
            self._in_inline_script = True
        if tag == "style":
            self.found.append("<style> element")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=...>")
            if name == "style":
                self.found.append(f"<{tag} style=...>")
            if value and value.strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}=javascript:...>")

    def handle_data(self, data: str) -> None:
        if self._in_inline_script and data.strip():
            self.found.append(f"inline script: {data.strip()[:40]}")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_inline_script = False


@pytest.mark.parametrize("page", sorted(p.relative_to(PWA).as_posix() for p in PWA.rglob("*.html")))
def test_pages_carry_no_inline_script_handler_or_style(page: str) -> None:
    finder = _InlineFinder()
    finder.feed((PWA / page).read_text())
    assert finder.found == [], page


@pytest.mark.parametrize("script", sorted(p.relative_to(PWA).as_posix() for p in PWA.rglob("*.js")))
def test_scripts_need_no_eval(script: str) -> None:
    """The policy has no 'unsafe-eval': code that builds code from strings would fail on the phone."""
    text = (PWA / script).read_text()
    assert not re.search(r"\beval\s*\(|\bnew\s+Function\s*\(|setTimeout\s*\(\s*['\"`]", text), script

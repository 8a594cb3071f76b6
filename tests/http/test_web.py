"""The front ends are served with strict security headers; the API spec is published."""

from __future__ import annotations


def test_openapi_spec_describes_the_sync_contract(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    spec = response.json
    for path in (
        "/api/v1/enrol",
        "/api/v1/sync",
        "/api/v1/attachments/{attachment_id}",
        "/api/v1/officer/login",
        "/api/v1/officer/reports",
        "/api/v1/officer/reports/{report_id}/messages",
        "/api/v1/officer/reports/{report_id}/status",
    ):
        assert path in spec["paths"], path
    schemas = spec["components"]["schemas"]
    assert {"SyncRequest", "SyncResponse", "ReportItem", "MessageItem", "ReceiptItem"} <= set(schemas)
    assert spec["components"]["securitySchemes"]["deviceToken"]["scheme"] == "bearer"


def test_security_headers_on_api_and_pages(client):
    for url in ("/api/openapi.json", "/api/v1/nothing"):  # JSON: the API's minimal set (issue 12)
        headers = client.get(url).headers
        assert headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Cache-Control"] == "no-store"
    page = client.get("/").headers  # a page: the full policy
    assert "script-src 'self'" in page["Content-Security-Policy"]
    assert "unsafe-inline" not in page["Content-Security-Policy"]
    assert page["X-Content-Type-Options"] == "nosniff"
    assert page["X-Frame-Options"] == "DENY"


def test_paths_outside_the_app_are_not_served(client):
    assert client.get("/../setup.cfg").status_code == 404
    assert client.get("/%2e%2e/setup.cfg").status_code == 404
    assert client.get("/api/unknown").status_code == 404


def test_shell_files_are_compressed_for_a_gzip_only_client(client):
    for path in ("/", "/js/sync.js", "/css/app.css"):
        response = client.get(path, headers={"Accept-Encoding": "gzip"})
        assert response.status_code == 200, path
        assert response.headers["Content-Encoding"] == "gzip", path
    best = client.get("/js/sync.js", headers={"Accept-Encoding": "gzip, deflate, br, zstd"})
    assert best.headers["Content-Encoding"] in {"zstd", "br"}


def test_service_worker_is_always_revalidated(client):
    response = client.get("/sw.js")
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert response.mimetype == "text/javascript"
    etag = response.headers["ETag"]
    assert client.get("/sw.js", headers={"If-None-Match": etag}).status_code == 304

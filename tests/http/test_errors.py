"""Every failure answers with the one JSON error shape and a stable code."""

from __future__ import annotations

import pytest

from server import create_app
from server.errors import ApiError


def assert_error_shape(response, status: int, code: str) -> None:
    assert response.status_code == status
    assert response.mimetype == "application/json"
    error = response.json["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    assert set(error) <= {"code", "message", "fields"}


@pytest.mark.parametrize(
    ("method", "url", "status", "code"),
    [
        ("get", "/api/v1/nothing-here", 404, "not_found"),
        ("get", "/api/v1/sync", 405, "method_not_allowed"),
        ("post", "/api/v1/sync", 401, "unauthorized"),
        ("get", "/api/v1/officer/reports", 401, "unauthorized"),
    ],
)
def test_http_errors_have_the_shape(client, method, url, status, code):
    assert_error_shape(getattr(client, method)(url), status, code)


def test_405_keeps_allow_header(client):
    assert "POST" in client.get("/api/v1/sync").headers["Allow"]


def test_validation_error_names_the_fields(client):
    response = client.post("/api/v1/enrol", json={"kode": "x"})
    assert_error_shape(response, 422, "validation_error")
    assert set(response.json["error"]["fields"]) == {"code", "kode"}


def test_malformed_json_is_a_clear_error(client):
    response = client.post("/api/v1/enrol", data=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code in (400, 422)
    assert response.json["error"]["code"] in ("bad_request", "validation_error")


def test_body_over_the_limit_is_413(client, app):
    response = client.post(
        "/api/v1/enrol",
        data=b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1),
        headers={"Content-Type": "application/json"},
    )
    assert_error_shape(response, 413, "payload_too_large")


def test_unexpected_exception_is_a_500_with_the_shape_and_no_detail(tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "TEST_CATCH_ALL_ERRORS": True,
            "SECRET_KEY": "x",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}",
        }
    )

    @app.get("/api/v1/_boom_for_test")
    def boom():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/api/v1/_boom_for_test")
    assert_error_shape(response, 500, "internal_error")
    assert "secret" not in response.get_data(as_text=True)


def test_api_error_carries_its_code():
    error = ApiError("Nope.", code="custom", status=409, fields={"a": ["b"]})
    assert error.to_dict() == {"code": "custom", "message": "Nope.", "fields": {"a": ["b"]}}

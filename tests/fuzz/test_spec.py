"""The OpenAPI spec tells the truth about errors: every non-2xx answer is ``{"error": {"code", "message"}}``.

flask-smorest documented its own error body (``{"code": 422, "status", "errors"}``); a client generated from the
spec, or schemathesis, would have rejected every real error answer.
"""

from __future__ import annotations

import jsonschema

from tests.conftest import jpeg, photo_declaration, png_bytes, report_item


def test_the_documented_error_shape_is_the_one_sent(client) -> None:
    spec = client.get("/api/openapi.json").json
    error_schema = spec["components"]["schemas"]["Error"]
    default = spec["components"]["responses"]["DEFAULT_ERROR"]["content"]["application/json"]["schema"]
    assert default == {"$ref": "#/components/schemas/Error"}
    for answer in (
        client.post("/api/v1/sync", json={}),  # 401
        client.post("/api/v1/enrol", json={"code": 7}),  # 422 with fields
        client.get("/api/v1/officer/reports"),  # 401
    ):
        assert answer.status_code >= 400
        jsonschema.validate(answer.json, error_schema)
    assert error_schema["required"] == ["error"]


def _documented_types(client, path: str) -> set[str]:
    spec = client.get("/api/openapi.json").json
    return set(spec["paths"][path]["get"]["responses"]["200"]["content"])


def test_an_officer_download_has_a_documented_content_type(app, phone, demo, officer) -> None:
    photo = jpeg(exif=False)
    declared = photo_declaration(photo, "image/jpeg")
    phone.sync([report_item(demo.household("DONG-01").id, attachments=[declared])])
    assert phone.upload(declared["id"], photo).status_code == 200
    answer = officer.get(f"/api/v1/officer/attachments/{declared['id']}")
    assert answer.status_code == 200
    assert answer.mimetype in _documented_types(officer.client, "/api/v1/officer/attachments/{attachment_id}")


def test_a_phone_download_has_a_documented_content_type(app, phone, demo, sign_in) -> None:
    head = sign_in("truongcongan", "demo-head")
    draft = head.post("/api/v1/officer/announcements", json={"title": "Mẫu đơn", "body": "Tải về điền sẵn."})
    assert draft.status_code == 201, draft.json
    form = head.post(
        f"/api/v1/officer/announcements/{draft.json['id']}/files?name=mau.png",
        data=png_bytes((0, 90, 160), 16),
        headers={"Content-Type": "image/png"},
    )
    assert form.status_code == 201, form.json
    assert head.post(f"/api/v1/officer/announcements/{draft.json['id']}/publish").status_code == 200
    answer = phone.client.get(
        f"/api/v1/announcements/{draft.json['id']}/files/{form.json['id']}", headers=phone.headers
    )
    answer.close()
    assert answer.status_code == 200
    path = "/api/v1/announcements/{announcement_id}/files/{file_id}"
    assert answer.mimetype in _documented_types(phone.client, path)

"""GET /api/v1/rules: what the phone and the console follow is what the server enforces."""

from __future__ import annotations

from typing import Any

from tests.conftest import Phone, report_item

R = "/api/v1/rules"


def _rules(client: Any) -> dict[str, Any]:
    response = client.get(R)
    assert response.status_code == 200, response.json
    return response.json


def test_rules_are_public_cacheable_and_revalidate_to_304(client) -> None:
    first = client.get(R)
    assert first.status_code == 200
    assert "public" in first.headers["Cache-Control"]
    assert first.headers["ETag"] == f'"{first.json["version"]}"'
    again = client.get(R, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    assert client.get(R, headers={"If-None-Match": '"stale"'}).status_code == 200


def test_every_kind_category_and_urgency_listed_is_accepted_and_nothing_else(client, phone: Phone, demo) -> None:
    rules = _rules(client)
    household = phone.group["households"][0]["id"]
    items = [report_item(household, kind=kind, category=None) for kind in rules["kinds"]]
    items += [report_item(household, category=category) for category in rules["categories"]]
    items += [report_item(household, urgency=urgency) for urgency in rules["urgencies"]]
    items.append(report_item(household, kind="gossip", category=None))
    results = phone.sync(items).json["results"]
    assert [r["status"] for r in results[:-1]] == ["created"] * (len(items) - 1)
    assert results[-1]["status"] == "rejected"


def test_the_limits_are_the_ones_the_sync_enforces(client, phone: Phone, demo) -> None:
    limits = _rules(client)["limits"]
    household = phone.group["households"][0]["id"]
    at_limit = report_item(household, body="a" * limits["report_body"], location="b" * limits["location"])
    over = report_item(household, body="a" * (limits["report_body"] + 1))
    results = phone.sync([at_limit, over]).json["results"]
    assert [r["status"] for r in results] == ["created", "rejected"]


def test_statuses_needing_a_reason_are_refused_without_one(client, officer, phone: Phone) -> None:
    rules = _rules(client)
    for status in rules["statuses"]:
        if status == "new":
            continue
        report = phone.send_report()
        answer = officer.post(f"/api/v1/officer/reports/{report}/status", json={"status": status, "reason": ""})
        assert (answer.status_code == 422) == (status in rules["statuses_needing_reason"]), (status, answer.json)


def test_time_zone_is_the_communes_from_the_config(app, client) -> None:
    assert _rules(client)["time_zone"] == app.config["TIMEZONE"]


def test_the_spec_documents_the_rules(client) -> None:
    spec = client.get("/api/openapi.json").json
    answers = spec["paths"][R]["get"]["responses"]
    assert answers["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/Rules")
    assert "304" in answers
    assert "statuses_needing_reason" in spec["components"]["schemas"]["Rules"]["properties"]


def test_every_enum_value_has_one_name_in_both_languages(client) -> None:
    """The phone and the console name values only from here, so none may be missing or left blank."""
    rules = _rules(client)
    listed = {
        "kind": rules["kinds"],
        "category": rules["categories"],
        "status": rules["statuses"],
        "urgency": rules["urgencies"],
        "role": rules["roles"],
    }
    assert set(rules["labels"]) == {"vi", "en"}
    for lang, names in rules["labels"].items():
        assert set(names) == set(listed), lang
        for enum, values in listed.items():
            assert set(names[enum]) == set(values), (lang, enum)
            assert all(name.strip() and name != value for value, name in names[enum].items()), (lang, enum)
    assert len(set(rules["labels"]["vi"]["status"].values())) == len(rules["statuses"])  # no two statuses alike
    assert rules["labels"]["vi"]["status"]["new"] == "Mới nhận"


def test_the_spec_documents_the_labels(client) -> None:
    spec = client.get("/api/openapi.json").json
    assert "labels" in spec["components"]["schemas"]["Rules"]["properties"]

"""An anonymous tip and its mailbox traffic sealed to the server's queue key (issue 11): the phone's tip queue keeps
them sealed, so a copy of the phone reads neither the tip (its words when the commune has no reading key yet, its
category, village and mailbox) nor a follow-up. The server opens them and stores exactly what the tip in clear
gives; what it cannot open is refused and the token stays unspent."""

from __future__ import annotations

from tests.conftest import sealed_for_server
from tests.tips.tipster import follow_up


def test_a_sealed_tip_is_stored_as_the_tip_in_clear_and_its_follow_ups_too(client, tipster, officer) -> None:
    tip = tipster.new_tip()
    clear = tip.tip
    tip.tip = sealed_for_server(client, clear)
    first = tipster.send(tip)
    assert first.status_code == 201, first.json
    assert tipster.send(tip).status_code == 200, "a retry, sealed again or not: duplicate"
    tip.tip = clear  # the same tip in clear (an SMS, or an app of an earlier build)
    assert tipster.send(tip).json["status"] == "duplicate"
    shown = officer.get(f"/api/v1/officer/reports/{clear['id']}").json
    assert shown["body"] == clear["body"] and shown["location"] == clear["location"] and shown["anonymous"]

    more = follow_up("Tối nay họ lại đến, đi xe máy không biển số.")
    answer = tipster.mailbox(
        tip, [sealed_for_server(client, more), {**sealed_for_server(client, follow_up()), "key_id": "x"}]
    )
    assert [r["status"] for r in answer.json["results"]] == ["created", "rejected"], answer.json
    assert answer.json["results"][1]["code"] == "sealed_unreadable"
    thread = officer.get(f"/api/v1/officer/reports/{clear['id']}").json["messages"]
    assert [m["body"] for m in thread] == [more["body"]]


def test_a_tip_the_server_cannot_open_is_refused_and_its_token_still_sends(client, tipster) -> None:
    tip = tipster.new_tip()
    clear = tip.tip
    tip.tip = {**sealed_for_server(client, clear), "key_id": "a-key-this-server-never-had"}
    refused = tipster.send(tip)
    assert refused.status_code == 422 and refused.json["error"]["code"] == "validation_error", refused.json
    assert "tip" in refused.json["error"]["fields"]
    tip.tip = sealed_for_server(client, {**clear, "id": "4f0c8a53-3b0e-4d2a-9a51-7c6f3f0b2e11"})
    tip.tip["id"] = clear["id"]  # a box of another tip sent under this one's id
    assert tipster.send(tip).status_code == 422
    tip.tip = sealed_for_server(client, clear)
    assert tipster.send(tip).status_code == 201, "the token was not spent by the refusals"

"""Officer sign-in locks an account after 10 wrong passwords in 15 minutes, from any number of addresses.

Before: only the per-address limit (5 a minute, 30 an hour) slowed guessing, so many addresses could try one
officer's password without end. Now the 11th try on that account, even with the right password and from a
fresh address, is 429 ``account_locked`` with Retry-After (the console says it in Vietnamese); other accounts
are not affected, and a head resetting the password lifts the lock.
"""

from __future__ import annotations

from server.extensions import db
from server.officers.models import Officer

LOGIN = "/api/v1/officer/login"


def _try(app, n: int, username: str, password: str):
    """Each try from its own address, as a botnet would (the per-address limit never triggers)."""
    return app.test_client().post(
        LOGIN, json={"username": username, "password": password}, environ_base={"REMOTE_ADDR": f"198.51.100.{n}"}
    )


def test_ten_wrong_passwords_lock_the_account_even_for_the_right_one(app, demo) -> None:
    for n in range(10):
        assert _try(app, n, "demo", f"guess-{n}").status_code == 401
    locked = _try(app, 99, "DEMO ", "demo-officer")
    assert locked.status_code == 429
    assert locked.json["error"]["code"] == "account_locked"
    assert 0 < int(locked.headers["Retry-After"]) <= 15 * 60
    assert "Set-Cookie" not in locked.headers
    assert _try(app, 98, "truongcongan", "demo-head").status_code == 200, "another account is not locked"


def test_a_head_resetting_the_password_lifts_the_lock(app, demo, sign_in) -> None:
    for n in range(10):
        _try(app, n, "demo", "wrong")
    head = sign_in("truongcongan", "demo-head")
    demo_id = db.session.scalar(db.select(Officer.id).where(Officer.username == "demo"))
    reset = head.post(f"/api/v1/officer/officers/{demo_id}/password", json={"new_password": "a-fresh-password"})
    assert reset.status_code == 204
    assert _try(app, 50, "demo", "a-fresh-password").status_code == 200


def test_another_deployment_sharing_the_counters_locks_none_of_this_ones_accounts(app, demo) -> None:
    """RATELIMIT_KEY_PREFIX names a deployment's counters (several share one Redis): its "demo" is not ours."""
    ours = app.config["RATELIMIT_KEY_PREFIX"]
    app.config["RATELIMIT_KEY_PREFIX"] = "other-province"
    try:
        for n in range(10):
            assert _try(app, n, "demo", "wrong").status_code == 401
        assert _try(app, 90, "demo", "wrong").json["error"]["code"] == "account_locked"
    finally:
        app.config["RATELIMIT_KEY_PREFIX"] = ours
    assert _try(app, 91, "demo", "demo-officer").status_code == 200

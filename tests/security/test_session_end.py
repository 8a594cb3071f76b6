"""A signed-out session is dead: a copy of the cookie taken before sign-out gets 401, not the officer's data.

Sessions live on the server (one row per sign-in): sign-out deletes it, a password change deletes the other
ones, "sign out everywhere" (by the officer, or by a head/admin for a lost laptop) deletes them all, and a
session ends by itself after an idle time and an absolute lifetime, however often it is used.
"""

from __future__ import annotations

from datetime import timedelta

from server.audit.models import AuditEvent
from server.database import utcnow
from server.extensions import db
from server.officers.models import Officer, OfficerSession

ME = "/api/v1/officer/me"
REPORTS = "/api/v1/officer/reports"


def _copy_cookie(app, officer_client):
    """A second client holding the same cookie, as an attacker who copied it would."""
    thief = app.test_client()
    cookie = officer_client.client.get_cookie("binhan_session")
    thief.set_cookie("binhan_session", cookie.value)
    return thief


def _assert_signed_out(answer) -> None:
    assert answer.status_code == 401
    assert answer.json["error"]["code"] in {"session_expired", "unauthorized"}


def test_a_cookie_copied_before_sign_out_is_refused_after_it(app, demo, sign_in) -> None:
    officer = sign_in()
    thief = _copy_cookie(app, officer)
    assert thief.get(ME).status_code == 200
    assert officer.post("/api/v1/officer/logout").status_code == 204
    _assert_signed_out(thief.get(ME))
    _assert_signed_out(thief.get(REPORTS))
    assert db.session.query(OfficerSession).count() == 0


def test_requests_do_not_extend_the_cookie(app, demo, sign_in) -> None:
    officer = sign_in()
    answer = officer.get(ME)
    assert answer.status_code == 200
    assert "Set-Cookie" not in answer.headers, "each request used to push the expiry 12 hours further"


def _age_session(officer_username: str, *, idle: timedelta = timedelta(), age: timedelta = timedelta()) -> None:
    officer_id = db.session.scalar(db.select(Officer.id).where(Officer.username == officer_username))
    now = utcnow()
    for stored in db.session.scalars(db.select(OfficerSession).where(OfficerSession.officer_id == officer_id)):
        stored.last_seen_at = now - idle
        stored.created_at = now - age
    db.session.commit()


def test_an_idle_session_ends(app, demo, sign_in) -> None:
    officer = sign_in()
    _age_session("demo", idle=timedelta(minutes=app.config["SESSION_IDLE_MINUTES"] + 1))
    answer = officer.get(ME)
    _assert_signed_out(answer)
    assert answer.json["error"]["code"] == "session_expired"


def test_a_busy_session_still_ends_at_its_absolute_lifetime(app, demo, sign_in) -> None:
    officer = sign_in()
    _age_session("demo", age=timedelta(hours=app.config["SESSION_MAX_HOURS"], minutes=1))
    _assert_signed_out(officer.get(ME))


def test_sign_out_everywhere_ends_every_browser_of_the_officer_only(app, demo, sign_in) -> None:
    laptop, phone_browser, colleague = sign_in(), sign_in(), sign_in("truongcongan", "demo-head")
    assert laptop.post("/api/v1/officer/logout-everywhere").status_code == 204
    _assert_signed_out(laptop.get(ME))
    _assert_signed_out(phone_browser.get(ME))
    assert colleague.get(ME).status_code == 200
    assert db.session.query(AuditEvent).filter_by(action="officer.signed_out_everywhere").count() == 1


def test_a_head_ends_the_sessions_of_a_lost_laptop(app, demo, sign_in) -> None:
    lost_laptop = sign_in()
    head = sign_in("truongcongan", "demo-head")
    demo_id = db.session.scalar(db.select(Officer.id).where(Officer.username == "demo"))
    assert head.post(f"/api/v1/officer/officers/{demo_id}/logout").status_code == 204
    _assert_signed_out(lost_laptop.get(ME))
    assert head.get(ME).status_code == 200


def test_an_officer_cannot_end_someone_elses_sessions(app, demo, sign_in) -> None:
    head = sign_in("truongcongan", "demo-head")
    officer = sign_in()
    head_id = db.session.scalar(db.select(Officer.id).where(Officer.username == "truongcongan"))
    answer = officer.post(f"/api/v1/officer/officers/{head_id}/logout")
    assert answer.status_code == 403 and answer.json["error"]["code"] == "forbidden"
    assert head.get(ME).status_code == 200


def test_an_admin_ends_the_sessions_of_an_officer_elsewhere(app, demo, other_commune, sign_in) -> None:
    elsewhere = sign_in("khac", "other-officer")
    admin = sign_in("admin", "demo-admin")
    khac_id = db.session.scalar(db.select(Officer.id).where(Officer.username == "khac"))
    assert admin.post(f"/api/v1/officer/officers/{khac_id}/logout").status_code == 204
    _assert_signed_out(elsewhere.get(ME))


def test_a_password_change_deletes_the_other_stored_sessions(app, demo, sign_in) -> None:
    laptop, other = sign_in(), sign_in()
    thief = _copy_cookie(app, other)
    changed = laptop.post(
        "/api/v1/officer/me/password",
        json={"current_password": "demo-officer", "new_password": "a-new-long-passphrase"},
    )
    assert changed.status_code == 204
    _assert_signed_out(thief.get(ME))
    assert laptop.get(ME).status_code == 200
    assert db.session.query(OfficerSession).count() == 1

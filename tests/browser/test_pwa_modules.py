"""The phone's storage, outbox and crypto modules, alone in Chromium with a real IndexedDB: what a household
relies on when the phone is shared, switched off, or offline for days.

The modules are loaded from ``pwa/`` with no server: Playwright answers the page's requests at
``http://localhost``, a secure context (WebCrypto) with its own IndexedDB. Each test gets a fresh browser
context, so an empty database, and calls the modules through ``page.evaluate`` with dynamic imports.
"""

from __future__ import annotations

import base64
import json
import mimetypes
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from playwright.sync_api import Browser, Page, Route

from server import queue_key
from server.mailbox import sealing

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


@pytest.fixture
def modules(browser: Browser) -> Iterator[Page]:
    """A blank page of the PWA's origin, with an empty IndexedDB; fails the test on any uncaught page error."""
    context = browser.new_context(base_url=ORIGIN)
    context.route(f"{ORIGIN}/**", _serve)
    context.add_init_script(HELPERS)
    errors: list[str] = []
    tab = context.new_page()
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.goto("/")
    yield tab
    context.close()
    assert errors == []


pytestmark = pytest.mark.browser


REPORT = "{ kind: 'tip', category: 'theft', body: 'Trộm gà đêm qua', anonymous: false, urgency: 'normal' }"


def test_a_queued_report_survives_a_reload(modules: Page) -> None:
    modules.evaluate(f"""async () => {{
      const {{ store, outbox }} = await m();
      await store.applyGroup(GROUP);
      await outbox.queueReport(await unlockHousehold(1, '2468'), 1, {REPORT}, []);
    }}""")
    modules.reload()
    queued = modules.evaluate("""async () => {
      const { store, c } = await m();
      const key = await c.deviceKey();
      return Promise.all((await store.outboxItems()).map(async (i) => ({ state: i.state,
        fields: Object.keys(i).sort(), record: Object.keys(await store.report(i.id)).sort(),
        sent: await c.decrypt(key, i.payload) })));
    }""")
    assert len(queued) == 1
    # Whose it is travels inside the item only: the queue and the household's record name no household.
    assert queued[0]["state"] == "waiting" and "householdId" not in queued[0]["fields"]
    assert "householdId" not in queued[0]["record"] and "owner" in queued[0]["record"]
    assert queued[0]["sent"]["body"] == "Trộm gà đêm qua" and queued[0]["sent"]["household_id"] == 1


def test_mark_sent_removes_only_the_confirmed_item(modules: Page) -> None:
    left = modules.evaluate(f"""async () => {{
      const {{ store, outbox }} = await m();
      await store.applyGroup(GROUP);
      const s = await unlockHousehold(1, '2468');
      const photo = {{ bytes: new Uint8Array([1, 2, 3]).buffer, sha256: 'ab'.repeat(32), size: 3,
        content_type: 'image/jpeg' }};
      const withPhoto = await outbox.queueReport(s, 1, {REPORT}, [photo]);
      const plain = await outbox.queueReport(s, 1, {REPORT}, []);
      await outbox.queueMessage(s, 1, withPhoto, 'Thêm: họ đi xe máy đỏ');
      await store.markSent(await store.outboxItem(plain), 'TRK-PLAIN');
      await store.markSent(await store.outboxItem(withPhoto), 'TRK-PHOTO');
      const items = await store.outboxItems();
      return {{ items: items.map((i) => [i.id === withPhoto ? 'photo' : i.type, i.state, !!i.payload]),
        codes: [(await store.report(plain)).trackingCode, (await store.report(withPhoto)).trackingCode],
        bytes: !!(await outbox.photoBytes(items[0].attachments[0].id)) }};
    }}""")
    # The plain report is gone; the one whose photo is not uploaded yet stays (without its sendable copy);
    # the follow-up message was not confirmed and waits.
    assert left["items"] == [["photo", "uploading", False], ["message", "waiting", True]]
    assert left["codes"] == ["TRK-PLAIN", "TRK-PHOTO"]
    assert left["bytes"] is True


def test_purging_one_household_removes_only_its_sent_reports(modules: Page) -> None:
    after = modules.evaluate(f"""async () => {{
      const {{ store, outbox, c }} = await m();
      await store.applyGroup(GROUP);
      const a = await unlockHousehold(1, '2468');
      const b = await unlockHousehold(2, '1357');
      const sentA = await outbox.queueReport(a, 1, {REPORT}, []);
      const queuedA = await outbox.queueReport(a, 1, {REPORT}, []);
      const sentB = await outbox.queueReport(b, 2, {REPORT}, []);
      for (const [id, code, household] of [[sentA, 'AAA', 1], [sentB, 'BBB', 2]]) {{
        await store.markSent(await store.outboxItem(id), code);
        const keys = (await store.household(household)).keys;
        await store.recordReply({{ id: 'msg:' + id, reportId: id,
          at: '2030-01-01T00:00:00Z', sealed: await c.seal(keys.publicKey, {{ type: 'reply', body: 'Đã nhận' }}) }},
          null);
      }}
      const mine = await import('/js/mine.js');
      await store.purgeHousehold(await mine.owned(await unlockHousehold(1, '2468'), 1));
      const view = async (id, s) => {{
        const r = await store.report(id);
        return {{ code: r.trackingCode, body: r.sealed ? (await c.open(s, r.sealed)).body : null,
          timeline: (await store.timeline(id)).length }};
      }};
      return [await view(sentA, a), await view(queuedA, a), await view(sentB, b), (await store.outboxItems()).length];
    }}""")
    sent_a, queued_a, sent_b, still_queued = after
    assert sent_a == {"code": "AAA", "body": None, "timeline": 0}  # code kept, content and replies gone
    assert queued_a == {"code": None, "body": "Trộm gà đêm qua", "timeline": 0}  # not sent yet: kept
    assert sent_b == {"code": "BBB", "body": "Trộm gà đêm qua", "timeline": 1}  # the neighbour's: untouched
    assert still_queued == 1


def test_a_wrong_pin_opens_nothing(modules: Page) -> None:
    modules.evaluate(f"""async () => {{
      const {{ store, c }} = await m();
      await store.applyGroup(GROUP);
      const a = await unlockHousehold(1, '2468');
      await store.saveDraft({{ id: 'd-1', sealed: await c.lockUp(a, {REPORT}), photos: [] }});
      await unlockHousehold(2, '1357');
    }}""")
    modules.reload()
    result = modules.evaluate("""async () => {
      const { store, c } = await m();
      const [draft] = await store.drafts();
      const tryOpen = (s) => c.open(s, draft.sealed).then((v) => v.body, () => 'refused');
      return { wrong: await unlockHousehold(1, '1357'), neighbour: await tryOpen(await unlockHousehold(2, '1357')),
        right: await tryOpen(await unlockHousehold(1, '2468')) };
    }""")
    assert result == {"wrong": None, "neighbour": "refused", "right": "Trộm gà đêm qua"}


def test_a_draft_survives_a_reload_and_stays_the_households(modules: Page) -> None:
    """A draft names no household (issue 11): its household finds it because its records key opens it."""
    modules.evaluate(f"""async () => {{
      const {{ store, c }} = await m();
      await store.applyGroup(GROUP);
      await store.saveDraft({{ id: 'd-1', sealed: await c.lockUp(await unlockHousehold(1, '2468'), {REPORT}),
        photos: [] }});
    }}""")
    modules.reload()
    drafts = modules.evaluate("""async () => {
      const { store, c } = await m();
      const { householdDraft } = await import('/js/mine.js');
      const a = await unlockHousehold(1, '2468');
      const mine = await householdDraft(a);
      return [Object.keys(mine).sort(), (await c.open(a, mine.sealed)).body,
        await householdDraft(await unlockHousehold(2, '1357')), await householdDraft({ key: null })];
    }""")
    assert drafts == [["id", "photos", "sealed"], "Trộm gà đêm qua", None, None]


def test_a_draft_kept_under_its_household_id_moves_to_an_id_of_its_own(modules: Page) -> None:
    """Version 4 of the schema kept drafts under their household's id: its upgrade step keeps each draft, under an id
    of its own and naming no household, and its household still opens it."""
    out = modules.evaluate(f"""async () => {{
      const {{ store, c }} = await m();
      await store.applyGroup(GROUP);
      const a = await unlockHousehold(1, '2468');
      const sealed = await c.lockUp(a, {REPORT});
      const opened = (version, step) => new Promise((done, fail) => {{
        const open = indexedDB.open('drafts-v4', version);
        open.onupgradeneeded = (e) => step(open.result, e.oldVersion, open.transaction);
        open.onsuccess = () => done(open.result);
        open.onerror = () => fail(open.error);
      }});
      const v4 = await opened(4, (db) => db.createObjectStore('drafts', {{ keyPath: 'householdId' }})
        .put({{ householdId: 1, sealed, photos: [] }}));
      v4.close();
      const v5 = await opened(5, store.upgrade);
      const drafts = await new Promise((done) => {{
        const r = v5.transaction('drafts').objectStore('drafts').getAll();
        r.onsuccess = () => done(r.result);
      }});
      v5.close();
      return {{ drafts: drafts.map((d) => [typeof d.id, 'householdId' in d]),
        body: (await c.open(a, drafts[0].sealed)).body }};
    }}""")
    assert out == {"drafts": [["string", False]], "body": "Trộm gà đêm qua"}


def test_a_phone_installed_before_this_version_keeps_its_queue(modules: Page) -> None:
    """The database as the first release created it (version 1): the store reads its queued items as they are."""
    ids = modules.evaluate("""async () => {
      await new Promise((done, fail) => {
        const open = indexedDB.open('binh-an', 1);
        open.onupgradeneeded = () => {
          const db = open.result;
          db.createObjectStore('meta');
          for (const name of ['households', 'outbox', 'blobs', 'announcements']) {
            db.createObjectStore(name, { keyPath: 'id' });
          }
          db.createObjectStore('reports', { keyPath: 'id' }).createIndex('household', 'householdId');
          db.createObjectStore('events', { keyPath: 'id' }).createIndex('report', 'reportId');
          db.createObjectStore('drafts', { keyPath: 'householdId' });
          db.createObjectStore('files', { keyPath: 'key' });
          open.transaction.objectStore('outbox').put({ id: 'old-1', type: 'receipt', householdId: null,
            state: 'waiting', createdAt: '2026-11-01T00:00:00Z', payload: null });
        };
        open.onsuccess = () => { open.result.close(); done(); };
        open.onerror = () => fail(open.error);
      });
      const { store } = await m();
      return [(await store.outboxItems()).map((i) => i.id), (await store.tips()).length, (await store.tokens()).length];
    }""")
    assert ids == [["old-1"], 0, 0]  # the queue kept; the tip queue and token stock added, empty


RFC9474 = Path(__file__).parent / "data" / "rfc9474_sha384_pss_deterministic.json"


def _spki(n_hex: str, e_hex: str) -> bytes:
    """The SubjectPublicKeyInfo DER of an RSA public key, as the server publishes its tip key."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.RSAPublicNumbers(int(e_hex, 16), int(n_hex, 16)).public_key()
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def test_blinding_matches_the_rfc_9474_vector(modules: Page) -> None:
    """RSABSSA-SHA384-PSS-Deterministic, RFC 9474 appendix A: with the vector's salt and r (the inverse of its
    inv), the phone's blinded message, unblinded signature and WebCrypto check are the RFC's."""
    import json

    v = json.loads(RFC9474.read_text())
    out = modules.evaluate(
        """async ([v, spkiHex]) => {
      const b = await import('/js/blind.js');
      const { fromHex, toHex } = await import('/js/bytes.js');
      const spki = fromHex(spkiHex);
      const key = b.rsaPublicKey(spki);
      const msg = fromHex(v.msg);
      const encoded = await b.emsaPssEncode(msg, key.n.toString(2).length - 1, fromHex(v.salt));
      const r = b.modInverse(BigInt(v.inv), key.n);
      const { blinded, inv } = await b.blind(spki, msg, { salt: fromHex(v.salt), r });
      const sig = await b.finalize(spki, msg, fromHex(v.blind_sig), inv);
      const forged = sig.slice(); forged[100] ^= 1;
      const other = await b.blind(spki, msg);
      return { n: '0x' + key.n.toString(16), e: Number(key.e), encoded: toHex(encoded), blinded: toHex(blinded),
        inv: '0x' + inv.toString(16), sig: toHex(sig), forged: await b.verify(spki, msg, forged),
        wrongAnswer: await b.finalize(spki, msg, fromHex(v.blind_sig), other.inv).then(() => 'kept', () => 'refused'),
        randomBlinding: toHex(other.blinded) !== toHex(blinded) };
    }""",
        [v, _spki(v["n"], v["e"]).hex()],
    )
    assert out["n"] == v["n"] and out["e"] == int(v["e"], 16)
    assert out["encoded"] == v["encoded_msg"]
    assert out["blinded"] == v["blinded_msg"]
    assert int(out["inv"], 16) == int(v["inv"], 16)
    assert out["sig"] == v["sig"]
    assert out["forged"] is False  # WebCrypto refuses a signature changed by one bit
    assert out["wrongAnswer"] == "refused"  # a blind signature unblinded with another r is not kept
    assert out["randomBlinding"] is True  # without injected values, salt and r are fresh


def test_a_mailbox_entry_sealed_by_python_opens_on_the_phone(modules: Page) -> None:
    """The phone makes a tip's mailbox keys; an entry sealed to its public key as ADR 0004 says (P-256 ECDH,
    HKDF-SHA256 "binhan mailbox v1", AES-256-GCM), by Python's cryptography or by the server's sealing.py, opens
    with its private key only."""
    import base64
    import hashlib
    import json
    import os

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    def b64u(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    def unb64u(text: str) -> bytes:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))

    boxes = modules.evaluate("""async () => {
      const s = await import('/js/seal.js');
      window.boxes = [await s.newMailbox(), await s.newMailbox()];
      return boxes;
    }""")
    mine = boxes[0]
    assert hashlib.sha256(unb64u(mine["secret"])).hexdigest() == mine["announce"]["verifier"]
    assert len(unb64u(mine["announce"]["public_key"])) == 65 and mine["secret"] != boxes[1]["secret"]

    peer = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64u(mine["announce"]["public_key"]))
    ephemeral = ec.generate_private_key(ec.SECP256R1())
    key = HKDF(hashes.SHA256(), 32, salt=None, info=b"binhan mailbox v1").derive(ephemeral.exchange(ec.ECDH(), peer))
    nonce = os.urandom(12)
    entry = {"type": "message", "id": "3f0c", "body": "Đã nhận tin, cảm ơn", "at": "2026-12-02T15:00:00Z"}
    sealed = b64u(
        ephemeral.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
        + nonce
        + AESGCM(key).encrypt(nonce, json.dumps(entry).encode(), None)
    )
    from server.mailbox import sealing

    status = {"type": "status", "status": "resolved", "reason": "Đã xử lý", "at": "2026-12-02T16:00:00Z"}
    by_server = sealing.seal(unb64u(mine["announce"]["public_key"]), json.dumps(status).encode())
    opened = modules.evaluate(
        """async (sealed) => {
      const s = await import('/js/seal.js');
      const open = async (i, x) => s.openEntry(await s.mailboxKey(boxes[i].jwk), x).catch(() => 'refused');
      const altered = sealed[0].slice(0, -3) + (sealed[0].endsWith('A') ? 'BBB' : 'AAA');
      return [await open(0, sealed[0]), await open(1, sealed[0]), await open(0, sealed[1]), await open(0, altered)];
    }""",
        [sealed, by_server],
    )
    # Python's sealing as the ADR spells it and the server's own sealing.py open; another tip's key or a changed
    # byte opens nothing.
    assert opened == [entry, "refused", status, "refused"]


def test_a_legacy_anonymous_report_moves_to_the_tip_queue_without_its_household(modules: Page) -> None:
    """An anonymous report queued by the previous version (a sync item with household_id) leaves the outbox for
    the tip queue when the engine starts: what will be sent names no household and carries no phone clock; its
    photo bytes stay; a named report stays in the outbox; the household's record of it gets a sealed owner."""
    out = modules.evaluate(f"""async () => {{
      const {{ store, outbox, c }} = await m();
      const tips = await import('/js/tips.js');
      await store.applyGroup({{ ...GROUP, village: {{ id: 3, name: 'Thôn Đông' }} }});
      await store.setMeta('group', {{ ...GROUP, village: {{ id: 3, name: 'Thôn Đông' }} }});
      const s = await unlockHousehold(1, '2468');
      const photo = {{ bytes: new Uint8Array([1, 2, 3]).buffer, sha256: 'ab'.repeat(32), size: 3,
        content_type: 'image/jpeg' }};
      const anon = await outbox.queueReport(s, 1, {{ ...{REPORT}, anonymous: true }}, [photo]);
      const named = await outbox.queueReport(s, 1, {REPORT}, []);
      await tips.migrateLegacy();
      const key = await c.deviceKey();
      const [t] = await store.tips();
      const sent = await c.decrypt(key, t.box);
      return {{ outbox: (await store.outboxItems()).map((i) => i.id === named), tip: t.id === anon, sent,
        householdId: t.householdId ?? null, photo: !!(await outbox.photoBytes(sent.attachments[0].id)),
        named: (await store.report(anon)).householdId ?? null,
        mine: [...await (await import('/js/mine.js')).owned(s, 1)].includes(anon),
        theirs: (await (await import('/js/mine.js')).owned(await unlockHousehold(2, '1357'), 2)).size }};
    }}""")
    assert out["outbox"] == [True] and out["tip"] is True
    sent = out["sent"]
    assert "household_id" not in sent and "created_at" not in sent and out["householdId"] is None
    assert sent["village_id"] == 3 and sent["category"] == "theft" and sent["body"] == "Trộm gà đêm qua"
    assert len(sent["mailbox"]["verifier"]) == 64 and sent["mailbox"]["public_key"]
    assert out["photo"] is True  # the photo waits for the tip, under the same attachment id
    assert out["named"] is None, "its record names no household in clear (issue 11): its owner is sealed"
    assert out["mine"] is True and out["theirs"] == 0  # the household still finds it, the neighbour does not


def test_household_keys_sign_and_open_as_adr_0005_says(modules: Page) -> None:
    """The phone's key schedule gives Python's pin_check; a signed item verifies in Python over the canonical JSON
    Python writes for it (Vietnamese text as itself); a feed entry Python seals to the household's box key waits
    sealed until an online unlock, then shows in its timeline."""
    import base64
    import json
    import os

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    from tests.households.keys import pin_check

    def b64u(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    def unb64u(text: str) -> bytes:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))

    item = {
        "type": "report",
        "id": "5b1e",
        "household_id": 1,
        "body": "Có người lạ ở bến đò, “xe máy” màu đỏ\n",
        "attachments": [{"sha256": "ab", "id": "x", "size": 3}],
        "urgency": "normal",
        "location": "Xóm 2",
    }
    got = modules.evaluate(
        """async (item) => {
      const k = await import('/js/keys.js');
      const { toB64u } = await import('/js/bytes.js');
      const salt = new TextEncoder().encode('household-salt16');
      const { check } = await k.pinValues('4821', salt, 1000);
      const fresh = await k.newKeys('4821');
      const { keys, session } = await k.sealKeys(fresh, crypto.getRandomValues(new Uint8Array(32)), 9);
      window.hkeys = keys;
      window.hsession = session;
      return { check: toB64u(check), canonical: k.canonical(item), signed: await k.signItem(session, item),
               sign: fresh.body.sign_public_key, box: fresh.body.box_public_key };
    }""",
        item,
    )
    assert unb64u(got["check"]) == pin_check("4821")
    python_bytes = json.dumps(item, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert got["canonical"].encode() == python_bytes
    signed = dict(got["signed"])
    raw = unb64u(signed.pop("signature"))
    assert signed == item and len(raw) == 64
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64u(got["sign"]))
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    public.verify(der, python_bytes, ec.ECDSA(hashes.SHA256()))  # raises if the phone signed other bytes

    box = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64u(got["box"]))
    ephemeral = ec.generate_private_key(ec.SECP256R1())
    key = HKDF(hashes.SHA256(), 32, salt=None, info=b"binhan household v1").derive(ephemeral.exchange(ec.ECDH(), box))
    nonce = os.urandom(12)
    reply = {"id": "m-1", "report_id": "r-1", "body": "Công an xã đã nhận tin", "created_at": "2026-12-02T15:00:00Z"}
    sealed = b64u(
        ephemeral.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
        + nonce
        + AESGCM(key).encrypt(nonce, json.dumps(reply, ensure_ascii=False).encode(), None)
    )
    shown = modules.evaluate(
        """async (sealed) => {
      const { store, c } = await m();
      const apply = await import('/js/apply.js');
      await store.applyGroup(GROUP);
      await store.updateHousehold(1, (x) => ({ ...x, keys: hkeys }));
      // The record names no household (issue 11): the reply is filed for the one its sealed entry was for.
      await store.queue({ id: 'r-1', type: 'report', state: 'waiting', createdAt: 'x', payload: null },
        { report: { id: 'r-1', owner: 'sealed', createdAt: 'x', status: null, trackingCode: null, sealed: null } });
      const change = { type: 'message', payload: { household_id: 1, sealed } };
      await apply.applyChanges([change, change]); // an overlapping feed page repeats it
      const waiting = [(await store.sealedFor(1)).length, (await store.timeline('r-1')).length];
      const writing = { ...hsession, key: null, privateKey: null };
      const offline = await apply.openSealed(1, writing);
      const opened = await apply.openSealed(1, hsession);
      const timeline = await Promise.all((await store.timeline('r-1')).map((e) => c.open(hsession, e.sealed)));
      return { waiting, offline, opened, left: (await store.sealedFor(1)).length, timeline };
    }""",
        sealed,
    )
    assert shown == {
        "waiting": [1, 0],
        "offline": 0,
        "opened": 1,
        "left": 0,
        "timeline": [{"type": "reply", "body": reply["body"], "messageId": "m-1"}],
    }


def test_only_its_household_finds_its_reports_and_offline_only_those_of_this_page(modules: Page) -> None:
    """No record names its household (issue 11), a named report's no more than a tip's: the household that queued
    them finds them with its reading key, another household does not; unlocked offline (writing key only) a
    household knows what it queued while the page has been open (in memory: it can still see it waiting, or send
    it by SMS), and after a restart nothing. The queue names only the report; the record keeps the day, the
    household's session the minute."""
    queued = modules.evaluate("""async () => {
      const { store, outbox } = await m();
      const mine = await import('/js/mine.js');
      await store.applyGroup({ ...GROUP, village: { id: 3, name: 'Thôn Đông' } });
      await store.setMeta('group', { ...GROUP, village: { id: 3, name: 'Thôn Đông' } });
      await unlockHousehold(1, '2468');
      const publicKey = (await store.household(1)).keys.publicKey;
      const writing = () => ({ privateKey: null, key: null, publicKey }); // unlocked offline: no reading key
      const tip = await outbox.queueTip(writing(), 1, { kind: 'tip', category: 'theft', body: 'Trộm gà đêm qua',
        urgency: 'normal', anonymous: true }, []);
      const named = await outbox.queueReport(writing(), 1, { kind: 'complaint', body: 'Đèn đường hỏng',
        urgency: 'normal', anonymous: false }, []);
      await outbox.queueMessage(writing(), 1, named, 'Thêm: đã hỏng ba hôm');
      return {
        ids: [tip, named],
        records: [Object.keys(await store.report(tip)), Object.keys(await store.report(named))],
        items: (await store.outboxItems()).map((i) => [i.type, 'householdId' in i, store.reportOf(i) === named]),
        timeline: (await store.timeline(named)).map((e) => 'householdId' in e),
        day: (await store.report(named)).createdAt.slice(10),
        unlockedAgain: [...await mine.owned(writing(), 1)].length,
        neighbour: (await mine.owned(await unlockHousehold(2, '1357'), 2)).size,
      };
    }""")
    assert all("householdId" not in record and "owner" in record for record in queued["records"])
    assert sorted(queued["items"]) == [["message", False, True], ["report", False, True]]
    assert queued["timeline"] == [False] and queued["day"] == "T00:00:00.000Z"
    assert queued["unlockedAgain"] == 2 and queued["neighbour"] == 0
    modules.reload()  # the app closed and opened again
    later = modules.evaluate(
        """async (ids) => {
      const { store } = await m();
      const mine = await import('/js/mine.js');
      const publicKey = (await store.household(1)).keys.publicKey;
      const reading = await unlockHousehold(1, '2468');
      return {
        offline: (await mine.owned({ privateKey: null, key: null, publicKey }, 1)).size,
        found: (await mine.householdReports(reading, 1)).map((r) => [ids.indexOf(r.id),
          r.createdAt.slice(10) !== 'T00:00:00.000Z']).sort(),
        neighbour: (await mine.owned(await unlockHousehold(2, '1357'), 2)).size,
      };
    }""",
        queued["ids"],
    )
    assert later["offline"] == 0, "a new page unlocked offline knows none of them"
    assert later["found"] == [[0, True], [1, True]], "the reading key finds both, with the minute"
    assert later["neighbour"] == 0


def test_records_of_an_older_version_stop_naming_their_household(modules: Page) -> None:
    """A phone updated from a version whose records named their household: when the engine starts, each record gets
    its sealed owner and keeps the day, each queued or kept item names its report instead; the household still finds
    them with its reading key, its neighbour does not, and the follow-up is still counted as the household's."""
    out = modules.evaluate("""async () => {
      const { store, c } = await m();
      const mine = await import('/js/mine.js');
      const tips = await import('/js/tips.js');
      await store.applyGroup(GROUP);
      const reading = await unlockHousehold(1, '2468');
      const at = '2026-11-30T09:41:00.000Z';
      await store.queue({ id: 'r-old', type: 'report', householdId: 1, state: 'waiting', createdAt: at, payload: null },
        { report: { id: 'r-old', householdId: 1, createdAt: at, status: null, trackingCode: null,
          sealed: await c.lockUp(reading, { kind: 'complaint', body: 'Cũ' }) } });
      const later = '2026-11-30T09:45:00.000Z';
      await store.queue({ id: 'm-old', type: 'message', householdId: 1, state: 'waiting', createdAt: later,
        payload: null }, { event: { id: 'out:m-old', reportId: 'r-old', householdId: 1, at: later, sealed: null,
          outboxId: 'm-old' } });
      await tips.migrateLegacy();
      const r = await store.report('r-old');
      return {
        record: [r.householdId ?? null, !!r.owner, r.createdAt],
        items: (await store.outboxItems()).map((i) => [i.id, i.householdId ?? null, store.reportOf(i)]),
        event: (await store.timeline('r-old')).map((e) => e.householdId ?? null),
        found: (await mine.householdReports(reading, 1)).map((x) => [x.id, x.createdAt]),
        neighbour: (await mine.owned(await unlockHousehold(2, '1357'), 2)).size,
      };
    }""")
    assert out["record"] == [None, True, "2026-11-30T00:00:00.000Z"]
    assert out["items"] == [["r-old", None, "r-old"], ["m-old", None, "r-old"]] and out["event"] == [None]
    assert out["found"] == [["r-old", "2026-11-30T09:41:00.000Z"]] and out["neighbour"] == 0


def test_an_item_is_sealed_to_the_server_only_once_final_and_only_the_server_opens_it(modules: Page) -> None:
    """outbox.forServer (issue 11): before the phone has the rules, or for an item still to be signed (a household
    without keys), the item stays as it is; otherwise only {id, key_id, sealed} is kept, which the server's queue key
    opens (gzipped first) into exactly the item. The time it takes on this machine is printed."""
    _, private, public = queue_key.key_for(b"module-test-secret")
    item = {
        "type": "report",
        "id": "6f1f3c52-8a1e-4d0b-9b7e-2f6a4c1d9e10",
        "household_id": 1,
        "kind": "complaint",
        "body": "Nhà bên cạnh mở nhạc rất to sau 12 giờ đêm, đã nhắc nhiều lần.",
        "anonymous": False,
        "urgency": "normal",
        "created_at": "2026-12-04T01:20:00.000Z",
        "attachments": [],
    }
    out = modules.evaluate(
        """async ([item, point]) => {
      const { store, outbox } = await m();
      const before = await outbox.forServer(item, true);
      await store.setMeta('rules', { rules: { queue_key: { key_id: 'k1', public_key: point } }, checkedAt: 0 });
      const unsigned = await outbox.forServer(item, false);
      const sealed = await outbox.forServer(item, true);
      const t0 = performance.now();
      for (let i = 0; i < 20; i++) await outbox.forServer(item, true);
      return { before, unsigned, sealed, ms: (performance.now() - t0) / 20 };
    }""",
        [item, public],
    )
    assert out["before"] == item and out["unsigned"] == item
    sealed = out["sealed"]
    assert set(sealed) == {"id", "key_id", "sealed"} and sealed["id"] == item["id"] and sealed["key_id"] == "k1"
    assert "Nhà bên cạnh" not in sealed["sealed"] and queue_key.unseal(private, sealed["sealed"]) == item
    print(json.dumps({"seal_ms": round(out["ms"], 2), "sealed_chars": len(sealed["sealed"])}))


def test_photos_are_queued_sealed_and_their_household_keeps_its_own(modules: Page) -> None:
    """outbox.queuedFiles (issue 11): a tip's photo, anonymous or named, is queued and declared sealed to the
    commune's key, which opens it into the photo; another report's to the server's queue key; the household that
    wrote it gets the photo back with its reading key (written unlocked offline too), a session that does not read
    gets nothing. Before the phone has any key (a first sync), the photo is queued as it is."""
    commune = ec.generate_private_key(ec.SECP256R1())
    point = sealing.b64url(sealing.public_point(commune))
    _, server, server_point = queue_key.key_for(b"module-test-secret")
    photo = bytes(range(256)) * 40
    out = modules.evaluate(
        """async ([point, serverPoint, photo]) => {
      const { store, outbox, c } = await m();
      const village = { id: 3, name: 'Thôn Đông' };
      await store.applyGroup({ ...GROUP, village });
      await store.setMeta('group', { ...GROUP, village });
      const reading = await unlockHousehold(1, '2468');
      const writing = { privateKey: null, key: null, publicKey: (await store.household(1)).keys.publicKey };
      const bytes = Uint8Array.from(photo);
      const file = { bytes, sha256: await c.sha256Hex(bytes), size: bytes.length, content_type: 'image/jpeg' };
      const fields = (kind, anonymous) => ({ kind, category: kind === 'tip' ? 'theft' : undefined,
        body: 'Có người lạ chụp ảnh nhà kho', urgency: 'normal', anonymous });
      const queued = async (id) => {
        const item = (await store.tip(id)) || (await store.outboxItem(id));
        const [declared] = item.attachments;
        const data = new Uint8Array(await c.decryptBytes(await c.deviceKey(), (await store.photo(declared.id)).data));
        const own = async (session) => {
          const back = await outbox.photoBytes(declared.id, session);
          return back && Array.from(new Uint8Array(back));
        };
        return { declared, queued: btoa(String.fromCharCode(...data)), hash: await c.sha256Hex(data),
          reading: await own(reading), none: await own(null) };
      };
      const clear = await queued(await outbox.queueTip(reading, 1, fields('tip', true), [file]));
      await store.setMeta('tipKey', { commune_key: { version: 4, public_key: point } });
      await store.setMeta('rules', { rules: { queue_key: { key_id: 'k1', public_key: serverPoint } }, checkedAt: 0 });
      const anonymous = await queued(await outbox.queueTip(writing, 1, fields('tip', true), [file]));
      const named = await queued(await outbox.queueReport(reading, 1, fields('tip', false), [file]));
      const complaint = await queued(await outbox.queueReport(reading, 1, fields('complaint', false), [file]));
      return { clear, anonymous, named, complaint, sha256: file.sha256 };
    }""",
        [point, server_point, list(photo)],
    )
    opens = {
        "anonymous": (commune, b"binhan commune file v1", {"key_version": 4}),
        "named": (commune, b"binhan commune file v1", {"key_version": 4}),
        "complaint": (server, queue_key.FILE_INFO, {"key_id": "k1"}),
    }
    for name, (private, info, names) in opens.items():
        sealed = out[name]
        queued = base64.b64decode(sealed["queued"])
        assert photo[:64] not in queued and len(queued) == len(photo) + 93
        assert sealing.open_sealed(private, sealing.b64url(queued), info) == photo
        declared = sealed["declared"]
        assert {k: declared[k] for k in names} == names and declared["sha256"] == sealed["hash"] != out["sha256"]
        assert declared["size"] == len(queued) and declared["content_type"] == "image/jpeg"
        assert bytes(sealed["reading"]) == photo and sealed["none"] is None
    clear = out["clear"]
    assert base64.b64decode(clear["queued"]) == photo and not {"key_id", "key_version"} & set(clear["declared"])
    assert clear["declared"]["sha256"] == out["sha256"] and bytes(clear["none"]) == photo

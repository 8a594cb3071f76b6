// The only module that touches IndexedDB: screens, the outbox, crypto and the sync engine call its verbs
// (as with Workbox's QueueDb). Rule from jakearchibald/idb: inside a transaction await nothing but its own
// requests; callers do their crypto and network work before or after.

export const DB_NAME = 'binh-an';
export const DB_VERSION = 5;
const META = 'meta'; // device token, group, cursor, device key, last sync, rules
const HOUSEHOLDS = 'households'; // name, PIN salt, public key, wrapped private key, PIN attempts
const REPORTS = 'reports'; // tracking code + status; its household (owner) and content sealed (mine.js)
const EVENTS = 'events'; // timeline entries (status, replies, follow-ups) of a report, sealed to its household
const OUTBOX = 'outbox'; // queued items, payload encrypted with the device key
const BLOBS = 'blobs'; // queued photo bytes, encrypted with the device key
const DRAFTS = 'drafts'; // one draft per household, under its records key; whose it is: the key that opens it
const NEWS = 'announcements'; // commune announcements (public)
const FILES = 'files'; // announcement files as blobs, for offline reading
const TIPS = 'tips'; // anonymous tips (ADR 0004): queued alone, then their mailbox; no household named
const TOKENS = 'tokens'; // one-use blind-signed tokens, keyed by their message
const INBOX = 'inbox'; // feed entries sealed to a household (ADR 0005) and tips' mailbox entries, kept sealed until it unlocks online
const SENT = 'sent'; // confirmed reports and messages, still encrypted, kept a week: sent again after a server restore
/** How long a confirmed item is kept for a restore: backups are nightly and a restore takes the last one. */
export const KEEP_SENT_MS = 8 * 24 * 3600 * 1000;

/** Creates or migrates the schema: one case per version, falling through (a phone far behind runs every step);
 *  `t` is the upgrade's own transaction. */
export function upgrade(db, oldVersion, t) {
  switch (oldVersion) {
    case 0: {
      db.createObjectStore(META);
      db.createObjectStore(HOUSEHOLDS, { keyPath: 'id' });
      db.createObjectStore(REPORTS, { keyPath: 'id' }).createIndex('household', 'householdId');
      db.createObjectStore(EVENTS, { keyPath: 'id' }).createIndex('report', 'reportId');
      db.createObjectStore(OUTBOX, { keyPath: 'id' });
      db.createObjectStore(BLOBS, { keyPath: 'id' });
      db.createObjectStore(DRAFTS, { keyPath: 'householdId' });
      db.createObjectStore(NEWS, { keyPath: 'id' });
      db.createObjectStore(FILES, { keyPath: 'key' });
    }
    // falls through
    case 1: {
      // Issue 10: anonymous tips leave the outbox (the legacy items move when the app starts: tips.js).
      db.createObjectStore(TIPS, { keyPath: 'id' });
      db.createObjectStore(TOKENS, { keyPath: 'message' });
    }
    // falls through
    case 2: {
      // Issue 11: sealed household feed entries wait here; households and their records are kept as they are.
      db.createObjectStore(INBOX, { keyPath: 'key' }).createIndex('household', 'householdId');
    }
    // falls through
    case 3: {
      // Issue 14: what the server confirmed is kept a week, for the day it is restored from a backup.
      db.createObjectStore(SENT, { keyPath: 'id' });
    }
    // falls through
    case 4: {
      // Issue 11: drafts were kept under their household's id; now under an id of their own (mine.householdDraft).
      const old = t.objectStore(DRAFTS).getAll();
      old.onsuccess = () => {
        db.deleteObjectStore(DRAFTS);
        const drafts = db.createObjectStore(DRAFTS, { keyPath: 'id' });
        old.result.forEach(({ householdId: _, ...d }) => drafts.put({ ...d, id: crypto.randomUUID() }));
      };
    }
    // case 5: next schema change goes here.
  }
}

let dbPromise = null;

function openDb() {
  dbPromise ??= new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, DB_VERSION);
    req.onupgradeneeded = (e) => upgrade(req.result, e.oldVersion, req.transaction);
    req.onsuccess = () => {
      // Another tab or the service worker upgrading: let it, reopen later.
      req.result.onversionchange = () => { req.result.close(); dbPromise = null; };
      resolve(req.result);
    };
    req.onerror = () => { dbPromise = null; reject(req.error); };
    req.onblocked = () => console.warn('IndexedDB upgrade blocked by another tab');
  });
  return dbPromise;
}

/** An IDBRequest as a promise. */
const req = (r) => new Promise((resolve, reject) => {
  r.onsuccess = () => resolve(r.result);
  r.onerror = () => reject(r.error);
});

/** Runs fn(stores) in one transaction; resolves with its result once committed. fn awaits only its requests. */
async function tx(names, mode, fn) {
  const t = (await openDb()).transaction(names, mode);
  const done = new Promise((resolve, reject) => {
    t.oncomplete = resolve;
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error || new Error('transaction aborted'));
  });
  const [, result] = await Promise.all([done, fn(Object.fromEntries(names.map((n) => [n, t.objectStore(n)])))]);
  return result;
}

const get = (store, key) => tx([store], 'readonly', (s) => req(s[store].get(key)));
const all = (store, index, query) => tx([store], 'readonly', (s) =>
  req((index ? s[store].index(index) : s[store]).getAll(query)));
const put = (store, value, key) => tx([store], 'readwrite', (s) => { s[store].put(value, key); });
/** Reads a record, and writes fn(record) back if there was one. */
const patch = (store, key, fn) => tx([store], 'readwrite', async (s) => {
  const old = await req(s[store].get(key));
  if (old) s[store].put(fn(old));
});
const byTime = (field) => (a, b) => a[field].localeCompare(b[field]);
/** The report a queued or kept item belongs to (a report item is its own; a receipt belongs to none). */
export const reportOf = (item) => (item.type === 'report' ? item.id : item.reportId ?? null);

/** One value of the phone's settings (token, cursor, group, lastSync, revoked, rules, enrolRequest). */
export const getMeta = (key) => get(META, key);
export const setMeta = (key, value) => put(META, value, key);

/** The commune's open appointment slots and procedures (issue 15): a newer snapshot replaces an older one. */
export const saveAppointments = ({ slots, procedures, published_at: at }) => tx([META], 'readwrite', async (s) => {
  const old = await req(s.meta.get('appointments'));
  if (!old || old.at <= at) s.meta.put({ slots: slots || [], procedures: procedures || [], at }, 'appointments');
});

/** Keeps the device token and the first cursor of an enrolment; the phone is no longer revoked. */
export const saveEnrolment = (token, cursor) => tx([META], 'readwrite', (s) => {
  s.meta.put(token, 'token');
  s.meta.put(cursor ?? null, 'cursor');
  s.meta.delete('revoked');
  s.meta.delete('enrolRequest');
});

/** A revoked phone must enrol again; its households and their PINs stay. */
export const forgetEnrolment = () => tx([META], 'readwrite', (s) => {
  ['token', 'cursor', 'revoked'].forEach((k) => s.meta.delete(k));
});

/** Keeps `fresh` as the device's outbox key unless one is there (page and worker may race); returns the kept one. */
export const keepDeviceKey = (fresh) => tx([META], 'readwrite', async (s) => {
  const kept = await req(s.meta.get('deviceKey'));
  if (!kept) s.meta.put(fresh, 'deviceKey');
  return kept || fresh;
});

/** Keeps the group's profile; households it no longer lists are marked removed (their data stays). */
export const applyGroup = (group) => tx([META, HOUSEHOLDS], 'readwrite', async (s) => {
  const existing = await req(s.households.getAll());
  const ids = new Set(group.households.map((x) => x.id));
  s.meta.put(group, 'group');
  for (const x of group.households) {
    s.households.put({ ...existing.find((o) => o.id === x.id), id: x.id, name: x.name, removed: false });
  }
  existing.filter((o) => !ids.has(o.id)).forEach((o) => s.households.put({ ...o, removed: true }));
});

/** @returns {Promise<object[]>} the group's current households (not the removed ones) */
export const households = async () => (await all(HOUSEHOLDS)).filter((x) => !x.removed);
export const household = (id) => get(HOUSEHOLDS, id);
/** Changes one household record (PIN keys, wrong-PIN count) in one transaction. */
export const updateHousehold = (id, fn) => patch(HOUSEHOLDS, id, fn);

/** A household's own records (`ids`: the reports it owns, mine.js), with their timelines, to re-encrypt them to
 *  new keys. */
export const householdRecords = (ids) => tx([REPORTS, EVENTS], 'readonly', async (s) => ({
  reports: (await req(s.reports.getAll())).filter((r) => ids.has(r.id)),
  events: (await req(s.events.getAll())).filter((e) => ids.has(e.reportId)),
}));

/** Writes back a household's re-encrypted records in one transaction (and drops the draft `dropDraft`, an id); a
 *  record given an owner no longer names its household. */
export const replaceHouseholdRecords = ({ reports, events, dropDraft }) =>
  tx([REPORTS, EVENTS, DRAFTS], 'readwrite', (s) => {
    reports.forEach(({ householdId: _, ...r }) => s.reports.put(r));
    events.forEach(({ householdId: _, ...e }) => s.events.put(e));
    if (dropDraft) s.drafts.delete(dropDraft);
  });

/** Report records whose household is sealed (`owner`, mine.js): which is whose needs the households' reading keys. */
export const ownedRecords = async () => (await all(REPORTS)).filter((r) => r.owner);

/** Records of a household that has no box key yet (it never set its PIN with the server): they still name it. */
export const keylessRecords = (householdId) => all(REPORTS, 'household', householdId);

/** Records of an older version that name their household in clear. */
export const namedRecords = async () => (await all(REPORTS)).filter((r) => r.householdId != null);

/** Replaces a record's household id with its sealed owner, and its time with `createdAt` (the day: mine.sealedOwner),
 *  on the record and its timeline, in one step. */
export const sealOwner = (id, { owner, createdAt }) => tx([REPORTS, EVENTS], 'readwrite', async (s) => {
  const r = await req(s.reports.get(id));
  if (!r) return;
  const { householdId: _, ...rest } = r;
  s.reports.put({ ...rest, owner, createdAt });
  for (const e of await req(s.events.index('report').getAll(id))) {
    const { householdId: __, ...event } = e;
    s.events.put(event);
  }
});

/** Queued and kept items of an older version named their household: each names its report instead (a report item
 *  is its own; a follow-up's or booking's is on its timeline entry; a receipt has none). */
export const unnameItems = () => tx([OUTBOX, SENT, EVENTS], 'readwrite', async (s) => {
  for (const name of [OUTBOX, SENT]) {
    for (const item of (await req(s[name].getAll())).filter((i) => 'householdId' in i)) {
      const { householdId: _, ...rest } = item;
      const event = item.type === 'report' ? null : await req(s.events.get('out:' + item.id));
      s[name].put({ ...rest, reportId: item.type === 'report' ? item.id : event?.reportId ?? null });
    }
  }
});

/** Keeps a tip's mailbox entries as they came, sealed to its mailbox key, until its household unlocks online. */
export const keepTipEntries = (tipId, entries) => tx([INBOX], 'readwrite', (s) => entries.forEach((e) =>
  s.inbox.put({ key: `tip:${tipId}:${e.seq}`, tipId, seq: e.seq, sealed: e.sealed })));
/** @returns {Promise<object[]>} the tip's kept mailbox entries, in order */
export const tipEntries = async (tipId) => (await all(INBOX)).filter((e) => e.tipId === tipId)
  .sort((a, b) => a.seq - b.seq);

/** Keeps a feed entry sealed to a household (ADR 0005) until that household unlocks online. */
export const keepSealed = (entry) => put(INBOX, entry);
/** @returns {Promise<object[]>} the household's sealed feed entries, in feed order */
export const sealedFor = async (householdId) => (await all(INBOX, 'household', householdId))
  .sort((a, b) => a.seq - b.seq);
/** Removes entries once applied (or found unreadable: sealed to a retired key). */
export const dropSealed = (keys) => tx([INBOX], 'readwrite', (s) => keys.forEach((k) => s.inbox.delete(k)));

export const report = (id) => get(REPORTS, id);
/** @returns {Promise<object[]>} the report's timeline entries, oldest first (still sealed) */
export const timeline = async (reportId) => (await all(EVENTS, 'report', reportId)).sort(byTime('at'));
export const markReportSeen = (id) => patch(REPORTS, id, (r) => ({ ...r, unseen: false }));
/** Marks timeline entries read (the caller queued their receipts). */
export const markRead = (events) => tx([EVENTS], 'readwrite', (s) =>
  events.forEach(({ value: _, ...rec }) => s.events.put({ ...rec, read: true })));

/**
 * Records a status change (status) or an officer's reply (null) once: feed pages may overlap, so a known entry
 * id is skipped; a status only replaces an older one. entry: {id, reportId, at, sealed}.
 */
export const recordReply = (entry, status) => tx([REPORTS, EVENTS], 'readwrite', async (s) => {
  if (await req(s.events.get(entry.id))) return;
  s.events.put(entry);
  const r = await req(s.reports.get(entry.reportId));
  if (!r) return;
  if (status && (!r.statusAt || entry.at >= r.statusAt)) Object.assign(r, { status, statusAt: entry.at });
  if (!status) r.replies = (r.replies || 0) + 1;
  s.reports.put({ ...r, unseen: true });
});

/** Removes the content and timelines of the household's sent reports (`ids`: the reports it owns, mine.js; code
 *  and status stay) and its kept copies of sent items; nothing else. */
export const purgeHousehold = (ids) => tx([REPORTS, EVENTS, OUTBOX, TIPS, SENT], 'readwrite', async (s) => {
  (await req(s.sent.getAll())).filter((i) => ids.has(reportOf(i))).forEach((i) => s.sent.delete(i.id));
  const queued = new Set(await req(s.outbox.getAllKeys()));
  (await req(s.tips.getAll())).filter((t) => !t.trackingCode).forEach((t) => queued.add(t.id));
  const own = (await req(s.reports.getAll())).filter((r) => ids.has(r.id));
  const sent = own.filter((r) => r.trackingCode && !queued.has(r.id));
  for (const r of sent) {
    s.reports.put({ ...r, sealed: null, purged: true });
    (await req(s.events.index('report').getAllKeys(r.id))).forEach((k) => s.events.delete(k));
  }
});

/** Discards a report the server refused: its outbox item or queued tip, photo bytes and the household's copy. */
export const dropReport = (id) => tx([OUTBOX, TIPS, BLOBS, REPORTS], 'readwrite', (s) => dropReportIn(s, id));

async function dropReportIn(s, id) {
  dropItem(s, await req(s.outbox.get(id)));
  const tip = await req(s.tips.get(id));
  if (tip && !tip.trackingCode) {
    s.tips.delete(id);
    (tip.attachments || []).forEach((a) => s.blobs.delete(a.id));
  }
  s.reports.delete(id);
}

function dropItem(s, item) {
  if (!item) return;
  s.outbox.delete(item.id);
  (item.attachments || []).forEach((a) => s.blobs.delete(a.id));
}

/** @returns {Promise<object[]>} every household's draft (which is whose: mine.householdDraft) */
export const drafts = () => all(DRAFTS);
/** @param {{id: string, sealed: object, photos: object[]}} rec a household's one draft, under its records key */
export const saveDraft = (rec) => put(DRAFTS, rec);

/**
 * Queues an outbox item in one transaction with what goes with it: extra.blobs (photo bytes), report or event
 * (the household's copy), replaces (the refused report it corrects), draftOf (the id of the draft it was).
 */
export const queue = (item, extra = {}) => tx([OUTBOX, TIPS, BLOBS, REPORTS, EVENTS, DRAFTS], 'readwrite', async (s) => {
  if (extra.replaces) await dropReportIn(s, extra.replaces);
  if (extra.draftOf != null) s.drafts.delete(extra.draftOf);
  s.outbox.put(item);
  (extra.blobs || []).forEach((b) => s.blobs.put(b));
  if (extra.report) s.reports.put(extra.report);
  if (extra.event) s.events.put(extra.event);
});

/** @returns {Promise<object[]>} every queued item, oldest first */
export const outboxItems = async () => (await all(OUTBOX)).sort(byTime('createdAt'));
export const outboxItem = (id) => get(OUTBOX, id);
/** Applies a change to one queued item (no-op if it is gone). */
export const updateItem = (id, changes) => patch(OUTBOX, id, (item) => ({ ...item, ...changes }));
/** Removes a queued item and its photo bytes. */
export const removeItem = (id) => tx([OUTBOX, BLOBS], 'readwrite', async (s) =>
  dropItem(s, await req(s.outbox.get(id))));

/** The server confirmed the item: its sendable copy goes (a report with photos to upload stays, "uploading"). */
export const markSent = (item, trackingCode) => tx([OUTBOX, REPORTS, SENT], 'readwrite', async (s) => {
  if (item.payload && (item.type === 'report' || item.type === 'message')) {
    // Photos are not kept: after a restore the report goes again without them (docs/deploy.md).
    s.sent.put({ ...item, state: 'waiting', error: null, attachments: [], sentAt: Date.now() });
  }
  if ((item.attachments || []).some((a) => !a.done)) {
    s.outbox.put({ ...item, payload: null, state: 'uploading', error: null });
  } else s.outbox.delete(item.id);
  const r = item.type === 'report' && await req(s.reports.get(item.id));
  if (r) s.reports.put({ ...r, trackingCode, status: r.status || 'new' });
});

/** The server was restored from a backup: every kept item goes back in the outbox (it answers "duplicate" for
 * what the backup holds, "created" for what it lost), but those it confirmed since (`confirmed`, ids). */
export const requeueSent = (confirmed = []) => tx([SENT, OUTBOX], 'readwrite', async (s) => {
  const kept = await req(s.sent.getAll());
  const queued = new Set([...await req(s.outbox.getAllKeys()), ...confirmed]);
  const again = kept.filter((i) => !queued.has(i.id));
  again.forEach(({ sentAt: _sentAt, ...item }) => s.outbox.put(item));
});
/** Forgets kept items older than KEEP_SENT_MS. */
export const pruneSent = (now = Date.now()) => tx([SENT], 'readwrite', async (s) => {
  (await req(s.sent.getAll())).filter((i) => now - i.sentAt > KEEP_SENT_MS).forEach((i) => s.sent.delete(i.id));
});

/** The encrypted bytes of a queued photo. */
export const photo = (attachmentId) => get(BLOBS, attachmentId);
/** Saves upload progress; once a photo is complete its bytes are deleted. */
export const saveUpload = (item, done) => tx([OUTBOX, BLOBS], 'readwrite', (s) => {
  s.outbox.put(item);
  if (done) s.blobs.delete(done);
});

/** @returns {Promise<object[]>} announcements not expired, newest first */
export const announcements = async () => (await all(NEWS))
  .filter((a) => !a.expires_at || new Date(a.expires_at) > new Date())
  .sort(byTime('published_at')).reverse();
/** Keeps an announcement from the feed (whether it was read stays as it was). */
export const saveAnnouncement = (a) => tx([NEWS], 'readwrite', async (s) => {
  s.announcements.put({ ...a, read: !!(await req(s.announcements.get(a.id)))?.read });
});
export const markAnnouncementRead = (a) => put(NEWS, { ...a, read: true });
/** Removes a withdrawn announcement and its downloaded files. */
export const withdrawAnnouncement = (id) => tx([NEWS, FILES], 'readwrite', (s) => {
  s.announcements.delete(id);
  s.files.delete(IDBKeyRange.bound(`${id}/`, `${id}/\uffff`));
});
/** Every announcement, expired or not (their files are still worth fetching while listed). */
export const allAnnouncements = () => all(NEWS);
export const file = (key) => get(FILES, key);
/** An officer's spoken reply to fetch (issue 16): kept in FILES as `voice/<id>`, encrypted as it came. */
export const wantVoice = (id) => tx([META], 'readwrite', async (s) => {
  const wanted = (await req(s.meta.get('voiceWanted'))) || [];
  if (!wanted.includes(id)) s.meta.put([...wanted, id], 'voiceWanted');
});
export const wantedVoices = async () => (await getMeta('voiceWanted')) || [];
export const gotVoice = (id) => tx([META], 'readwrite', async (s) => {
  s.meta.put(((await req(s.meta.get('voiceWanted'))) || []).filter((x) => x !== id), 'voiceWanted');
});
export const fileKeys = () => tx([FILES], 'readonly', (s) => req(s.files.getAllKeys()));
/** @param {{key: string, blob: Blob, name: string, type: string}} rec key is "announcementId/fileId" */
export const saveFile = (rec) => put(FILES, rec);

// --- Anonymous tips (ADR 0004). A tip record: {id, state: waiting|sending|uploading|sent|attention, queuedAt,
// delayMs, dueAt, box (the tip as sent, device key), keys ({secret}, device key: polls the mailbox, opens nothing),
// attachments, token, trackingCode, since, pollAt, closedAt, pending: [{id, box}] (mailbox follow-ups)}. No
// household is named here: the household's copy is its reports record, whose owner is sealed (mine.js).

/** @returns {Promise<object[]>} every tip the phone holds, queued or sent */
export const tips = () => all(TIPS);
export const tip = (id) => get(TIPS, id);
/** Applies fn to one tip record and keeps what it returns (no-op if the tip is gone). */
export const updateTip = (id, fn) => patch(TIPS, id, fn);

/** Queues a tip with its photo bytes and the household's copy; extra as for queue(). */
export const queueTip = (rec, extra = {}) => tx([OUTBOX, TIPS, BLOBS, REPORTS, DRAFTS], 'readwrite', async (s) => {
  if (extra.replaces) await dropReportIn(s, extra.replaces);
  if (extra.draftOf != null) s.drafts.delete(extra.draftOf);
  s.tips.put(rec);
  (extra.blobs || []).forEach((b) => s.blobs.put(b));
  if (extra.report) s.reports.put(extra.report);
});

/** Moves a legacy anonymous report from the outbox to the tip queue (its photo bytes stay, under the same ids). */
export const moveToTips = (outboxId, rec) => tx([OUTBOX, TIPS, REPORTS], 'readwrite', async (s) => {
  s.outbox.delete(outboxId);
  s.tips.put(rec);
  const r = await req(s.reports.get(rec.id));
  if (r) s.reports.put({ ...r, tip: true }); // its household id is sealed next (mine.js sealOwners)
});

/** The server stored the tip: its sendable copy and its spent token go; photos left to upload keep it "uploading". */
export const tipSent = (id, trackingCode, pollAt) => tx([TIPS, REPORTS], 'readwrite', async (s) => {
  const t = await req(s.tips.get(id));
  if (!t) return;
  const uploading = (t.attachments || []).some((a) => !a.done);
  s.tips.put({ ...t, box: null, token: null, error: null, trackingCode, pollAt,
    state: uploading ? 'uploading' : 'sent' });
  const r = await req(s.reports.get(id));
  if (r) s.reports.put({ ...r, trackingCode, status: r.status || 'new' });
});

/** Keeps a tip's upload progress; once a photo is complete its bytes are deleted. */
export const saveTipUpload = (rec, done) => tx([TIPS, BLOBS], 'readwrite', (s) => {
  s.tips.put(rec);
  if (done) s.blobs.delete(done);
});

/** Adds a mailbox follow-up (message or receipt) to a tip, with the household's copy of a message. */
export const queueTipItem = (tipId, item, event) => tx([TIPS, EVENTS], 'readwrite', async (s) => {
  const t = await req(s.tips.get(tipId));
  if (!t) return;
  s.tips.put({ ...t, pending: [...(t.pending || []), item], pollAt: Math.min(t.pollAt || Infinity, item.dueAt) });
  if (event) s.events.put(event);
});

/** @returns {Promise<object[]>} the tokens in stock */
export const tokens = () => all(TOKENS);
/** Keeps new tokens ({message, signature, key_id}) and forgets the answered token request, in one step. */
export const addTokens = (list) => tx([TOKENS, META], 'readwrite', (s) => {
  list.forEach((t) => s.tokens.put(t));
  s.meta.delete('tokenRequest');
});
/** Drops the tokens for which pred(token) is true (a retired key's, or the one the server called invalid). */
export const dropTokens = (pred) => tx([TOKENS], 'readwrite', async (s) => {
  (await req(s.tokens.getAll())).filter(pred).forEach((t) => s.tokens.delete(t.message));
});

/**
 * The token a tip is sent with: the one it already holds (a retry must reuse it: the server then answers
 * "duplicate"), else one taken from the stock in the same step. @returns {Promise<object|null>}
 */
export const takeToken = (tipId, keyId) => tx([TIPS, TOKENS], 'readwrite', async (s) => {
  const t = await req(s.tips.get(tipId));
  if (!t) return null;
  if (t.token) return t.token;
  const stock = await req(s.tokens.getAll());
  const token = stock.find((x) => x.key_id === keyId) || stock[0];
  if (!token) return null;
  s.tokens.delete(token.message);
  s.tips.put({ ...t, token });
  return token;
});

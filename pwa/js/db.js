// The only module that touches IndexedDB (see STYLE.md: Workbox QueueDb).
// Rule from jakearchibald/idb: never await anything but IDB requests inside a
// transaction; callers do their crypto and network work before or after.

export const DB_NAME = 'binh-an';
export const DB_VERSION = 1;
export const STORES = Object.freeze({
  META: 'meta', // device token, group, cursor, device key, last sync
  HOUSEHOLDS: 'households', // name, PIN salt, public key, wrapped private key, PIN attempts
  REPORTS: 'reports', // report_id -> household_id map + tracking code + status; content sealed
  EVENTS: 'events', // timeline entries (status, replies, follow-ups), sealed per household
  OUTBOX: 'outbox', // queued items, payload encrypted with the device key
  BLOBS: 'blobs', // queued photo bytes, encrypted with the device key
  DRAFTS: 'drafts', // one sealed draft per household
  NEWS: 'announcements', // commune announcements (public)
  FILES: 'files', // announcement files as blobs, for offline reading
});

/**
 * Creates or migrates the schema: one case per version, falling through so a
 * phone several versions behind runs every step in order.
 * @param {IDBDatabase} db
 * @param {number} oldVersion
 */
export function upgrade(db, oldVersion) {
  switch (oldVersion) {
    case 0: {
      db.createObjectStore(STORES.META);
      db.createObjectStore(STORES.HOUSEHOLDS, { keyPath: 'id' });
      db.createObjectStore(STORES.REPORTS, { keyPath: 'id' }).createIndex('household', 'householdId');
      db.createObjectStore(STORES.EVENTS, { keyPath: 'id' }).createIndex('report', 'reportId');
      db.createObjectStore(STORES.OUTBOX, { keyPath: 'id' });
      db.createObjectStore(STORES.BLOBS, { keyPath: 'id' });
      db.createObjectStore(STORES.DRAFTS, { keyPath: 'householdId' });
      db.createObjectStore(STORES.NEWS, { keyPath: 'id' });
      db.createObjectStore(STORES.FILES, { keyPath: 'key' });
    }
    // case 1: next schema change goes here.
  }
}

let dbPromise = null;

/** @returns {Promise<IDBDatabase>} the shared connection, opened once. */
export function openDb() {
  if (!dbPromise) {
    dbPromise = new Promise((resolve, reject) => {
      const req = indexedDB.open(DB_NAME, DB_VERSION);
      req.onupgradeneeded = (e) => upgrade(req.result, e.oldVersion);
      req.onsuccess = () => {
        const db = req.result;
        // Another tab or the service worker upgrading: let it, reopen later.
        db.onversionchange = () => { db.close(); dbPromise = null; };
        resolve(db);
      };
      req.onerror = () => { dbPromise = null; reject(req.error); };
      req.onblocked = () => console.warn('IndexedDB upgrade blocked by another tab');
    });
  }
  return dbPromise;
}

const done = (req) => new Promise((resolve, reject) => {
  req.onsuccess = () => resolve(req.result);
  req.onerror = () => reject(req.error);
});

/**
 * Runs fn(stores) inside one transaction and resolves with fn's result once it
 * has committed. fn must only issue IDB requests (no other awaits).
 * @template T
 * @param {string[]} names store names
 * @param {'readonly'|'readwrite'} mode
 * @param {(s: Record<string, IDBObjectStore>) => T} fn
 * @returns {Promise<T extends Promise<infer U> ? U : T>}
 */
export async function tx(names, mode, fn) {
  const db = await openDb();
  const t = db.transaction(names, mode);
  const stores = Object.fromEntries(names.map((n) => [n, t.objectStore(n)]));
  const result = fn(stores);
  await new Promise((resolve, reject) => {
    t.oncomplete = resolve;
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error || new Error('transaction aborted'));
  });
  return result;
}

/** @returns {Promise<any>} one record, or undefined. */
export const get = (store, key) => tx([store], 'readonly', (s) => done(s[store].get(key)));

/**
 * @param {string} store
 * @param {string} [index] index name
 * @param {IDBValidKey|IDBKeyRange} [query]
 * @returns {Promise<any[]>} all matching records, in key order.
 */
export const getAll = (store, index, query) => tx([store], 'readonly', (s) =>
  done((index ? s[store].index(index) : s[store]).getAll(query)));

/** Stores a record (key only for out-of-line stores such as meta). */
export const put = (store, value, key) => tx([store], 'readwrite', (s) => { s[store].put(value, key); });

/** Deletes one record by key. */
export const del = (store, key) => tx([store], 'readwrite', (s) => { s[store].delete(key); });

/** Reads one value of the meta store. */
export const getMeta = (key) => get(STORES.META, key);

/** Writes one value of the meta store. */
export const setMeta = (key, value) => put(STORES.META, value, key);

/** Wraps an IDBRequest in a promise (for use inside tx callbacks). */
export { done as request };

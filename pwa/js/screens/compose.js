// Step 2 of writing: the report form. Drafts are saved as the user types, encrypted with the
// household's PIN key; photos are shrunk before they are kept or queued.
import { t } from '../i18n.js';
import { h, KINDS, CATEGORIES } from '../ui.js';
import { STORES, get, put, del } from '../db.js';
import { lockUp, open, encryptBytes, decryptBytes } from '../crypto.js';
import { shrink } from '../photos.js';
import * as outbox from '../outbox.js';

const MAX_PHOTOS = 3;

async function initial(session, hid, mode, arg) {
  if (mode === 'draft') {
    const d = await get(STORES.DRAFTS, hid);
    if (!d) return null;
    const photos = await Promise.all(d.photos.map(async (p) => ({ ...p, bytes: await decryptBytes(session.key, p.box) })));
    return { fields: await open(session, d.sealed), photos };
  }
  if (mode === 'fix') {
    const r = await get(STORES.REPORTS, arg);
    const item = await get(STORES.OUTBOX, arg);
    if (!r?.sealed || r.householdId !== hid) return null;
    const photos = await Promise.all((item?.attachments || []).map(async (a) =>
      ({ ...a, bytes: await outbox.photoBytes(a.id) })));
    return { fields: await open(session, r.sealed), photos: photos.filter((p) => p.bytes), fixId: arg };
  }
  return { fields: { kind: mode, anonymous: mode === 'tip', urgency: 'normal' }, photos: [] };
}

const field = (id, label, input) => h('div', { class: 'field' }, h('label', { for: id }, label), input);

/** Renders the form; `mode` is a kind, "draft" or "fix" (then `arg` is the report id). */
export async function render(app, mode, arg) {
  // Pinned for this render (and its draft timer): "Đổi hộ" may lock the phone while it awaits the database.
  const { session, household } = app;
  if (!session) return null;
  const hid = household.id;
  const start = await initial(session, hid, mode, arg);
  if (!start || !KINDS[start.fields.kind]) return app.go('#/new');
  const f = start.fields;
  const photos = start.photos.map((p) => ({ bytes: p.bytes, size: p.size, sha256: p.sha256, content_type: p.content_type }));
  const kind = f.kind;
  const msg = h('p', { class: 'msg', role: 'alert' });
  const form = h('form', { class: 'card', novalidate: true });
  const thumbs = h('div', { class: 'thumbs' });
  const fileInput = h('input', { id: 'photos', type: 'file', accept: 'image/*', multiple: true, class: 'file' });

  const read = () => ({
    kind,
    category: kind === 'tip' ? form.querySelector('[name=category]:checked')?.value || 'other' : undefined,
    body: form.querySelector('#body').value.trim(),
    location: form.querySelector('#location').value.trim() || undefined,
    urgency: form.querySelector('#urgent').checked ? 'urgent' : 'normal',
    anonymous: form.querySelector('#anonymous').checked,
    appointment_at: kind === 'appointment' && form.querySelector('#when').value
      ? new Date(form.querySelector('#when').value).toISOString() : undefined,
  });

  let saveTimer = 0;
  const saveDraft = async () => {
    clearTimeout(saveTimer);
    if (start.fixId || app.session !== session) return; // fixes live in the outbox; locked: too late
    const sealed = await lockUp(session, read());
    const ph = await Promise.all(photos.map(async (p) => ({ size: p.size, sha256: p.sha256,
      content_type: p.content_type, box: await encryptBytes(session.key, p.bytes) })));
    await put(STORES.DRAFTS, { householdId: hid, sealed, photos: ph });
  };
  const later = () => { clearTimeout(saveTimer); saveTimer = setTimeout(saveDraft, 600); };

  const drawThumbs = () => {
    thumbs.replaceChildren(...photos.map((p, i) => {
      const url = URL.createObjectURL(new Blob([p.bytes], { type: p.content_type }));
      return h('div', { class: 'thumb' },
        h('img', { src: url, alt: t('new.photoN', { n: i + 1 }) }),
        h('button', { type: 'button', class: 'x', 'aria-label': t('new.removePhoto', { n: i + 1 }),
          onclick: () => { photos.splice(i, 1); drawThumbs(); later(); } }, '✕'));
    }));
    fileInput.disabled = photos.length >= MAX_PHOTOS;
  };
  fileInput.addEventListener('change', async () => {
    msg.textContent = t('new.shrinking');
    for (const file of [...fileInput.files].slice(0, MAX_PHOTOS - photos.length)) {
      try { photos.push(await shrink(file)); } catch { msg.textContent = t('new.badPhoto'); }
    }
    fileInput.value = '';
    if (msg.textContent === t('new.shrinking')) msg.textContent = '';
    drawThumbs();
    later();
  });

  form.append(...[
    h('h2', {}, h('span', { 'aria-hidden': 'true' }, KINDS[kind] + ' '), t('kind.' + kind)),
    kind === 'tip' ? h('fieldset', { class: 'chips' }, h('legend', {}, t('new.category')),
      CATEGORIES.map((c) => h('label', { class: 'chip' },
        h('input', { type: 'radio', name: 'category', value: c, checked: (f.category || 'other') === c }),
        h('span', {}, t('cat.' + c))))) : null,
    field('body', t('new.body'), h('textarea', { id: 'body', rows: '5', maxlength: '5000', required: true }, f.body || '')),
    field('location', t('new.location'), h('input', { id: 'location', maxlength: '200', value: f.location || '' })),
    kind === 'appointment' ? field('when', t('new.when'), h('input', { id: 'when', type: 'datetime-local' })) : null,
    h('label', { class: 'check' }, h('input', { id: 'urgent', type: 'checkbox', checked: f.urgency === 'urgent' }),
      h('span', {}, t('new.urgent'))),
    h('label', { class: 'check' }, h('input', { id: 'anonymous', type: 'checkbox', checked: !!f.anonymous }),
      h('span', {}, t('new.anonymous'))),
    h('div', { class: 'field' }, h('label', { for: 'photos', class: 'btn' },
      h('span', { class: 'ico', 'aria-hidden': 'true' }, '📷'), t('new.addPhoto')), fileInput, thumbs),
    msg,
    h('div', { class: 'grid2' },
      h('button', { type: 'submit', class: 'btn primary' }, t('new.send')),
      h('button', { type: 'button', class: 'btn', onclick: async () => { await saveDraft(); app.go('#/home'); } },
        start.fixId ? t('nav.back') : t('new.saveDraft')))].filter(Boolean));
  if (f.appointment_at) {
    const d = new Date(f.appointment_at);
    form.querySelector('#when').value = new Date(d - d.getTimezoneOffset() * 60e3).toISOString().slice(0, 16);
  }
  form.addEventListener('input', later);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearTimeout(saveTimer);
    const fields = read();
    if (!fields.body) return (msg.textContent = t('new.needBody'));
    form.querySelector('[type=submit]').disabled = true;
    await outbox.queueReport(session, hid, fields, photos);
    if (start.fixId) {
      await outbox.remove(start.fixId);
      await del(STORES.REPORTS, start.fixId);
    } else await del(STORES.DRAFTS, hid);
    app.toast(t('new.queued'));
    app.kick();
    app.go('#/home');
  });
  drawThumbs();
  return form;
}

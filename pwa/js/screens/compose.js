// Step 2 of writing: the report form. Drafts are saved as the user types, encrypted with the
// household's PIN key; photos are shrunk before they are kept or queued.
import { h, mount } from '../../lib/dom.js';
import { label, t } from '../../lib/i18n.js';
import { rules } from '../../lib/rules.js';
import { ICON, ICONS, kb, kinds, limit } from '../ui.js';
import * as store from '../store.js';
import { lockUp, open, encryptBytes, decryptBytes, sha256Hex } from '../crypto.js';
import { shrink } from '../photos.js';
import * as voice from '../voice.js';
import * as outbox from '../outbox.js';
import { householdDraft, owns } from '../mine.js';

/** What the form starts with: a draft, a refused report to fix, or an empty report of a kind. */
async function initial(session, hid, mode, arg) {
  if (mode === 'draft' || mode === 'fix') {
    if (!session.key) return null; // unlocked offline: drafts and refused reports are read after an online unlock
  }
  if (mode === 'draft') {
    const d = await householdDraft(session);
    if (!d) return null;
    const photos = await Promise.all(d.photos.map(async (p) => ({ ...p, bytes: await decryptBytes(session.key, p.box) })));
    return { fields: await open(session, d.sealed), photos };
  }
  if (mode === 'fix') {
    const r = await store.report(arg);
    const item = (await store.outboxItem(arg)) || (await store.tip(arg));
    if (!r?.sealed || !(await owns(session, hid, r))) return null;
    const fields = await open(session, r.sealed);
    // The household's own bytes (the queued ones are sealed: size and hash are counted again); its sealed copy keeps
    // the recording's length (voice_ms).
    const photos = await Promise.all((item?.attachments || []).map(async (a) => {
      const bytes = await outbox.photoBytes(a.id, session);
      return bytes && { content_type: a.content_type, bytes, size: bytes.byteLength, sha256: await sha256Hex(bytes),
        ...(voice.isVoice(a) ? { duration_ms: fields.voice_ms } : {}) };
    }));
    return { fields, photos: photos.filter(Boolean), fixId: arg };
  }
  return { fields: { kind: mode, anonymous: mode === 'tip', urgency: 'normal' }, photos: [] };
}

const field = (id, label, input) => h('div', { class: 'field' }, h('label', { for: id }, label), input);
const check = (id, label, checked) =>
  h('label', { class: 'check' }, h('input', { id, type: 'checkbox', checked }), h('span', {}, label));

/** The inputs for the report's fields, filled from f; `appt`: an appointment's (slots.js, issue 15). */
function inputs(f, appt = []) {
  const kind = f.kind;
  return [
    h('h2', {}, h('span', { 'aria-hidden': 'true' }, ICONS[kind], ' '), label('kind', kind)),
    kind === 'tip' ? h('fieldset', { class: 'chips' }, h('legend', {}, t('new.category')),
      (rules()?.categories || []).map((c) => h('label', { class: 'chip' },
        h('input', { type: 'radio', name: 'category', value: c, checked: (f.category || 'other') === c }),
        h('span', {}, ICONS[c], ' ', label('category', c))))) : null,
    field('body', t('new.body'), h('textarea', { id: 'body', rows: '5', maxlength: limit('report_body'), autocomplete: 'off' },
      f.body || '')),
    field('location', t('new.location'), h('input', { id: 'location', maxlength: limit('location'), value: f.location || '', autocomplete: 'off' })),
    ...appt,
    check('urgent', label('urgency', 'urgent'), f.urgency === 'urgent'),
    // Only a tip can go without a name (ADR 0004): it travels alone, as an anonymous tip.
    kind === 'tip' ? check('anonymous', t('new.anonymous'), !!f.anonymous) : null,
    kind === 'tip' ? h('p', { class: 'muted', id: 'alone-help' }, t('new.alone')) : null,
  ];
}

/** The report's fields as the form holds them now. */
function read(form, kind) {
  const value = (sel) => form.querySelector(sel)?.value.trim();
  return {
    kind,
    category: kind === 'tip' ? value('[name=category]:checked') || 'other' : undefined,
    body: value('#body'),
    location: value('#location') || undefined,
    urgency: form.querySelector('#urgent').checked ? 'urgent' : 'normal',
    anonymous: !!form.querySelector('#anonymous')?.checked,
  };
}

/** The photo picker and its thumbnails; `photos` is changed in place, onChange after each change. */
function photoPicker(photos, msg, onChange) {
  const max = limit('photos_per_report') ?? 0;
  const thumbs = h('div', { class: 'thumbs' });
  const input = h('input', { id: 'photos', type: 'file', accept: 'image/*', multiple: true, class: 'file' });
  const draw = () => {
    thumbs.replaceChildren(...photos.map((p, i) => h('div', { class: 'thumb' },
      h('img', { src: URL.createObjectURL(new Blob([p.bytes], { type: p.content_type })), alt: t('new.photoN', { n: i + 1 }) }),
      h('button', { type: 'button', class: 'x', 'aria-label': t('new.removePhoto', { n: i + 1 }),
        onclick: () => { photos.splice(i, 1); draw(); onChange(); } }, ICON('close')))));
    input.disabled = photos.length >= max;
  };
  input.addEventListener('change', async () => {
    msg.textContent = t('new.shrinking');
    for (const file of [...input.files].slice(0, max - photos.length)) {
      try { photos.push(await shrink(file)); } catch { msg.textContent = t('new.badPhoto'); }
    }
    input.value = '';
    if (msg.textContent === t('new.shrinking')) msg.textContent = '';
    draw();
    onChange();
  });
  draw();
  return h('div', { class: 'field' }, h('label', { for: 'photos', class: 'btn' },
    h('span', { class: 'ico', 'aria-hidden': 'true' }, ICON('photo')), t('new.addPhoto', { n: max })), input, thumbs);
}

/**
 * The recorder (issue 16): one large button to start and stop, a timer and a level meter while recording, then
 * the recording to play back, its length and size, "record again" and "remove". `slot.rec` holds the recording.
 */
function voicePicker(slot, msg, onChange) {
  const type = voice.recordType();
  const max = limit('voice_seconds') || voice.MAX_SECONDS;
  const box = h('div', { class: 'field voice', id: 'voice' });
  let live = null;
  const idle = () => {
    if (slot.rec) {
      const url = URL.createObjectURL(new Blob([slot.rec.bytes], { type: slot.rec.content_type }));
      return mount(box, h('p', { class: 'voice-info' }, t('new.voiceInfo',
        { t: voice.clock(slot.rec.duration_ms), size: kb(slot.rec.size) })),
        h('audio', { controls: true, src: url, preload: 'metadata', id: 'voice-playback' }),
        h('div', { class: 'grid2' },
          h('button', { type: 'button', class: 'btn', id: 'voice-again', onclick: record }, t('new.reRecord')),
          h('button', { type: 'button', class: 'btn quiet', id: 'voice-remove',
            onclick: () => { slot.rec = null; idle(); onChange(); } }, t('new.removeVoice'))));
    }
    return mount(box, h('button', { type: 'button', class: 'btn record', id: 'voice-record', onclick: record,
      disabled: !type }, h('span', { class: 'ico', 'aria-hidden': 'true' }, ICON('mic')), t('new.record')),
    h('small', { class: 'muted' }, type ? t('new.voiceHelp', { max: voice.clock(max * 1000) })
      : t(type === null ? 'new.noMic' : 'new.noCodec')));
  };
  async function record() {
    const meter = h('meter', { min: '0', max: '1', value: '0', class: 'level', 'aria-hidden': 'true' });
    const timer = h('span', { class: 'timer', role: 'timer' }, voice.clock(0));
    const stop = h('button', { type: 'button', class: 'btn record on', id: 'voice-stop', onclick: async () => {
      stop.disabled = true;
      try { slot.rec = await live.stop(); } catch { msg.textContent = t('new.voiceFailed'); }
      live = null;
      idle();
      onChange();
    } }, h('span', { class: 'ico', 'aria-hidden': 'true' }, ICON('stop')), t('new.stop'), ' ', timer);
    try {
      live = await voice.start({ maxSeconds: max, onLevel: (v) => { meter.value = v; },
        onTick: (ms) => {
          timer.textContent = `${voice.clock(ms)} / ${voice.clock(max * 1000)}`;
          if (ms >= max * 1000 && !stop.disabled) stop.click();
        } });
    } catch (e) {
      msg.textContent = t(e.code === 'no_recorder' ? 'new.noMic' : e.code === 'no_codec' ? 'new.noCodec' : 'new.micDenied');
      return idle();
    }
    msg.textContent = '';
    mount(box, stop, meter);
  }
  idle();
  return box;
}

/** Renders the form; `mode` is a kind, "draft" or "fix" (then `arg` is the report id). */
export async function render(app, mode, arg) {
  // Pinned for this render (and its draft timer): "Đổi hộ" may lock the phone while it awaits the database.
  const { session, household } = app;
  if (!session) return null;
  const hid = household.id;
  const start = await initial(session, hid, mode, arg);
  if (!start || !kinds().includes(start.fields.kind)) return app.go('#/new');
  const kind = start.fields.kind;
  // Loaded for an appointment only: the shell's first load stays within its budget.
  const slots = kind === 'appointment' ? await import('./slots.js') : null;
  const appt = slots ? slots.appointmentInputs(start.fields, await store.getMeta('appointments')) : [];
  const fieldsOf = () => ({ ...read(form, kind), ...(slots ? slots.appointmentFields(form) : {}) });
  const copy = (p) => ({ bytes: p.bytes, size: p.size, sha256: p.sha256, content_type: p.content_type,
    duration_ms: p.duration_ms });
  const photos = start.photos.filter((p) => !voice.isVoice(p)).map(copy);
  const recorded = start.photos.find((p) => voice.isVoice(p));
  const slot = { rec: recorded ? copy(recorded) : null };
  const attached = () => (slot.rec ? [...photos, slot.rec] : photos);
  const msg = h('p', { class: 'msg', role: 'alert' });
  // autocomplete off: Chromium's session restore would otherwise keep what was typed in the profile, in clear
  // (tests/browser/test_phone_copy.py found a tip's words there).
  const form = h('form', { class: 'card', novalidate: true, autocomplete: 'off' });

  let saveTimer = 0;
  let draftId = null; // the household's one draft, replaced as it is typed
  const saveDraft = async () => {
    clearTimeout(saveTimer);
    // Fixes live in the outbox; locked: too late; unlocked offline: no records key, no draft.
    if (start.fixId || app.session !== session || !session.key) return;
    const [sealed, ph] = await Promise.all([lockUp(session, fieldsOf()), Promise.all(attached().map(async (p) =>
      ({ size: p.size, sha256: p.sha256, content_type: p.content_type, duration_ms: p.duration_ms,
        box: await encryptBytes(session.key, p.bytes) })))]);
    draftId ??= (await householdDraft(session))?.id ?? crypto.randomUUID();
    await store.saveDraft({ id: draftId, sealed, photos: ph });
  };
  const later = () => { clearTimeout(saveTimer); saveTimer = setTimeout(saveDraft, 600); };

  const [title, ...rest] = inputs(start.fields, appt).filter(Boolean);
  form.append(title, voicePicker(slot, msg, later), ...rest, photoPicker(photos, msg, later), msg,
    h('div', { class: 'grid2' },
      h('button', { type: 'submit', class: 'btn primary' }, t('new.send')),
      h('button', { type: 'button', class: 'btn', onclick: async () => { await saveDraft(); app.go('#/home'); } },
        start.fixId ? t('nav.back') : t('new.saveDraft'))));
  form.addEventListener('input', later);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearTimeout(saveTimer);
    const fields = fieldsOf();
    if (!fields.body && !slot.rec) return (msg.textContent = t('new.needBody'));
    if (form.querySelector('[name=slot]') && !fields.slot_id) return (msg.textContent = t('appt.needSlot'));
    form.querySelector('[type=submit]').disabled = true;
    const anonymous = kind === 'tip' && fields.anonymous;
    await (anonymous ? outbox.queueTip : outbox.queueReport)(session, hid, fields, attached(), start.fixId);
    app.toast(t(anonymous ? 'new.queuedAlone' : 'new.queued'));
    app.kick();
    app.go('#/home');
  });
  return form;
}

// One report: its text and photos (and what is still uploading), the thread, and every action on it.
import { api } from '../api.js';
import { label, t } from '../../../lib/i18n.js';
import { rules } from '../../../lib/rules.js';
import { parseDayText } from '../../../lib/days.js';
import { fromLocalInput, toLocalInput, when } from '../../../lib/time.js';
import { attempt, dayInput, field, h, heading, mount, select, timeInput } from '../ui.js';
import { canOpen, openFile, revealReport } from '../commune-key.js';
import { onLive } from '../live.js';
import * as voice from '../../../js/voice.js';

const isVoice = (a) => a.content_type.startsWith('audio/');
const fileUrl = (id) => `/api/v1/officer/attachments/${id}`;
/** A blob: URL of a report's file, a tip's sealed one opened here (commune-key.js); each fetch is one audited view. */
const fileBlobUrl = (a) => api(`/attachments/${a.id}`, { raw: true }).then((r) => r.blob()).then((b) => openFile(a, b))
  .then((b) => URL.createObjectURL(b));
/** In place of a tip's file sealed to a key this page has not opened: the way to open it. */
const lockedFile = () => h('p', { class: 'body sealed' }, h('a', { href: '#/tipkey' }, t('sealedFileLocked')));

/** Screen: the report with id. */
export async function reportScreen({ id, go }) {
  const [report, officers] = await Promise.all([api(`/reports/${encodeURIComponent(id)}`).then(revealReport),
    api('/officers')]);
  let stale = false; // after this page's own action the screen is drawn again: live refreshes go to the new one
  const reload = () => { stale = true; go(`#/report/${report.id}`); };
  const page = h('section', { class: 'report-page' },
    h('a', { href: '#/queue', class: 'back' }, t('back')),
    heading([`${label('kind', report.kind)}${report.category ? ' · ' + label('category', report.category) : ''} — `,
      h('span', { class: 'code' }, report.tracking_code)]),
    h('p', { class: 'shortcuts muted' }, t('shortcutsReport')),
    facts(report),
    h('div', { class: 'columns' },
      h('div', {}, words(report), recordings(report, reload), photos(report), thread(report)),
      h('div', { class: 'side' }, statusForm(report, reload), assignForm(report, officers, reload),
        report.kind === 'appointment' ? appointmentForm(report, reload) : null)),
    replyForm(report, reload, false), report.group ? voiceReplyForm(report, reload) : null,
    replyForm(report, reload, true));
  // Live (issue 15): a follow-up or a read receipt on this report re-reads it and replaces its facts and thread
  // only; the reply and note being written stay untouched.
  let shown = false;
  onLive((change) => {
    if (stale) return false;
    if (!page.isConnected) return !shown;
    shown = true;
    const named = [change.messages, change.receipts, change.changed].flat().filter(Boolean);
    if (!change.reset && !named.includes(report.id)) return true;
    api(`/reports/${encodeURIComponent(report.id)}`).then(revealReport).then((fresh) => {
      page.querySelector('.facts')?.replaceWith(facts(fresh));
      page.querySelector('.thread')?.replaceWith(thread(fresh));
    }).catch(() => {});
    return true;
  });
  return page;
}

/** Posts one action on the report; on success says so and shows the report again. */
async function post(report, action, json, reload, done = t('saved')) {
  if (await attempt(() => api(`/reports/${report.id}/${action}`, { method: 'POST', json }), done)) reload();
}

function facts(report) {
  const rows = [
    [t('status'), h('span', { class: `status s-${report.status}` }, label('status', report.status)),
      report.status_reason ? ` — ${report.status_reason}` : ''],
    [t('urgency'), h('span', { class: report.urgency === 'urgent' ? 'badge urgent' : '' }, label('urgency', report.urgency)),
      report.overdue ? h('span', { class: 'badge overdue' }, t('overdue')) : null],
    [t('village'), report.village.name],
    report.anonymous ? [t('household'), h('em', {}, t('anonymous'))] : [t('group'), report.group?.name],
    report.anonymous ? null : [t('household'), report.household?.name || t('none')],
    [t('received'), when(report.received_at)],
    report.location ? [t('location'), report.location] : null,
    report.appointment_requested_at ? [t('requested'), when(report.appointment_requested_at)] : null,
    report.appointment_at ? [t('confirmed'), when(report.appointment_at)] : null,
  ].filter(Boolean);
  return h('dl', { class: 'facts' }, rows.map(([k, ...v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

/** A recording played inline, at 1× or 1.5× (issue 16); a tip's sealed one once opened here. */
function player(a, durationMs) {
  const el = h('audio', { controls: true, preload: 'metadata', class: 'voice-player' });
  if (a.key_version == null) el.src = fileUrl(a.id);
  else {
    fileBlobUrl(a).then((url) => {
      el.src = url; // the opened recording is freed when the officer leaves the report, as its photos are
      addEventListener('hashchange', () => URL.revokeObjectURL(url), { once: true });
    }).catch(() => el.replaceWith(t('failed')));
  }
  const speeds = h('span', { class: 'speeds', role: 'group', 'aria-label': t('speed') }, [1, 1.5].map((rate) =>
    h('button', { type: 'button', class: rate === 1 ? 'speed on' : 'speed', 'aria-pressed': String(rate === 1),
      onclick: (e) => {
        el.playbackRate = rate;
        speeds.querySelectorAll('button').forEach((b) => { b.classList.toggle('on', b === e.currentTarget); b.setAttribute('aria-pressed', String(b === e.currentTarget)); });
      } }, `${rate}×`)));
  return h('div', { class: 'voice' }, el, speeds, durationMs ? h('span', { class: 'muted' }, ' ', voice.clock(durationMs)) : null);
}

/** The report's recording: the player, and what the officer typed hearing it (stored, searchable). */
function recordings(report, reload) {
  const list = report.attachments.filter(isVoice);
  if (!list.length) return null;
  return h('section', { class: 'recordings', 'aria-label': t('recordings') }, h('h3', {}, t('recordings')),
    list.map((a) => {
      if (!a.complete) return h('div', { class: 'pending' }, h('progress', { max: a.size, value: a.received }), t('uploading', { r: a.received, s: a.size }));
      if (!canOpen(a)) return lockedFile();
      // Typed in clear, a sealed tip's words would sit on the server: a sealed recording is heard, not transcribed.
      if (a.key_version != null) return h('div', {}, player(a, a.duration_ms), h('p', { class: 'muted' }, t('sealedNoTranscript')));
      const text = h('textarea', { name: 'transcript', rows: 3, maxLength: 5000 }, a.transcript || '');
      text.value = a.transcript || '';
      return h('div', {}, player(a, a.duration_ms),
        h('form', { class: 'transcript-form', onsubmit: async (e) => {
          e.preventDefault();
          await post(report, 'transcript', { attachment_id: a.id, transcript: text.value }, reload);
        } }, field(t('transcript'), text), h('button', { type: 'submit' }, t('saveTranscript'))));
    }));
}

/** Answer by voice: record here (or choose a file), listen, send; the household's phone gets it sealed. */
function voiceReplyForm(report, reload) {
  let recorded = null;
  let live = null;
  const note = h('input', { name: 'voice-body', maxLength: rules().limits.reply_body });
  const preview = h('div', { class: 'voice-preview' });
  const file = h('input', { type: 'file', name: 'voice-file', accept: 'audio/webm,audio/ogg' });
  const recordButton = h('button', { type: 'button', class: 'record', disabled: !voice.recordType() }, t('record'));
  const show = () => mount(preview, recorded ? [h('audio', { controls: true, src: URL.createObjectURL(recorded.blob) }),
    h('span', { class: 'muted' }, ' ', recorded.duration_ms ? t('recorded', { t: voice.clock(recorded.duration_ms) }) : recorded.blob.name || '')] : null);
  recordButton.addEventListener('click', async () => {
    if (live) {
      const rec = await live.stop();
      live = null;
      recorded = { blob: new Blob([rec.bytes], { type: rec.content_type }), type: rec.content_type, duration_ms: rec.duration_ms };
      recordButton.textContent = t('record');
      return show();
    }
    try { live = await voice.start({ maxSeconds: rules().limits.voice_seconds || voice.MAX_SECONDS }); } catch { return; }
    recordButton.textContent = t('stopRecording');
  });
  file.addEventListener('change', () => {
    const f = file.files[0];
    recorded = f ? { blob: f, type: f.type || 'application/octet-stream', duration_ms: 0 } : null;
    show();
  });
  return h('form', { class: 'card voice-reply-form', onsubmit: async (e) => {
    e.preventDefault();
    if (!recorded) return;
    const done = await attempt(() => api(`/reports/${report.id}/voice-reply?body=${encodeURIComponent(note.value)}`,
      { method: 'POST', body: recorded.blob, type: recorded.type }), t('sent'));
    if (done) reload();
  } }, h('h3', {}, t('voiceReply')),
  h('p', {}, recordButton, ' ', voice.recordType() ? '' : t('noRecorder')), field(t('orFile'), file), preview,
  field(t('voiceText'), note), h('button', { type: 'submit', class: 'primary' }, t('sendVoice')));
}

/** The text, or for a sealed tip the key still closed: a link to open it. */
const words = (record) => (record.locked
  ? h('p', { class: 'body sealed' }, h('a', { href: '#/tipkey' }, t('sealedLocked')))
  : record.body ? h('p', { class: 'body' }, record.body) : null);

/** Photos: fetched once each as blobs (a blob: URL is what the CSP's img-src allows besides 'self'), shown as
 * thumbnails and in a viewer dialog with no inline style; each fetch is one audited view. */
function photos(report) {
  const pictures = report.attachments.filter((a) => !isVoice(a));
  if (!pictures.length) return null;
  const shown = pictures.filter((a) => a.complete && canOpen(a));
  const urls = new Map();
  const load = (a) => {
    if (!urls.has(a.id)) urls.set(a.id, fileBlobUrl(a));
    return urls.get(a.id);
  };
  addEventListener('hashchange', () => urls.forEach((u) => u.then((url) => URL.revokeObjectURL(url))), { once: true });
  const viewer = photoViewer(report, shown, load);
  return h('section', { 'aria-label': t('photos') }, h('h3', {}, t('photos')),
    pictures.some((a) => a.complete && !canOpen(a)) ? lockedFile() : null,
    h('div', { class: 'photos' }, pictures.map((a) => {
      if (!a.complete) {
        return h('div', { class: 'pending' }, h('progress', { max: a.size, value: a.received }), t('uploading', { r: a.received, s: a.size }));
      }
      if (!canOpen(a)) return null;
      const n = shown.indexOf(a);
      const img = h('img', { alt: t('photoN', { n: n + 1, of: shown.length }) });
      load(a).then((url) => { img.src = url; }).catch(() => { img.alt = t('failed'); });
      return h('button', { type: 'button', class: 'thumb', onclick: () => viewer.open(n) }, img);
    })), viewer.dialog);
}

function photoViewer(report, list, load) {
  let at = 0;
  const img = h('img', { class: 'full', alt: '' });
  const caption = h('span', { class: 'caption' });
  const save = h('a', { class: 'button', download: '' }, t('download'));
  const show = async (i) => {
    at = (i + list.length) % list.length;
    const url = await load(list[at]);
    img.src = url;
    img.alt = t('photoN', { n: at + 1, of: list.length });
    caption.textContent = img.alt;
    save.href = url;
    save.download = `${report.tracking_code}-${at + 1}.${(list[at].content_type || 'image/jpeg').split('/')[1]}`;
  };
  const many = list.length > 1;
  const dialog = h('dialog', { class: 'viewer', 'aria-label': t('photos') },
    h('div', { class: 'viewer-bar' }, caption,
      many ? h('button', { type: 'button', onclick: () => show(at - 1) }, t('prevPhoto')) : null,
      many ? h('button', { type: 'button', onclick: () => show(at + 1) }, t('nextPhoto')) : null,
      save, h('button', { type: 'button', class: 'primary', onclick: () => dialog.close() }, t('closeViewer'))),
    h('div', { class: 'viewer-body' }, img));
  img.addEventListener('click', () => img.classList.toggle('zoom')); // actual size, scrolled inside the dialog
  dialog.addEventListener('keydown', (e) => {
    if (many && e.key === 'ArrowRight') show(at + 1);
    if (many && e.key === 'ArrowLeft') show(at - 1);
  });
  return { dialog, open: (i) => { dialog.showModal(); show(i); } };
}

function thread(report) {
  return h('section', { class: 'thread', 'aria-label': t('thread') }, h('h3', {}, t('thread')),
    h('ol', {}, report.messages.map((m) => h('li', { class: `msg ${m.author} ${m.internal ? 'internal' : ''}` },
      h('div', { class: 'meta' },
        m.author === 'household' ? t('fromHousehold') : m.officer_name || t('officers'),
        m.internal ? h('span', { class: 'badge' }, t('internal')) : null, ' — ', when(m.created_at),
        m.read_at ? ` — ${t('readOnPhone')}` : ''),
      words(m), m.voice ? player(m.voice, m.voice.duration_ms) : null))));
}

function replyForm(report, reload, internal) {
  const body = h('textarea', { name: 'body', rows: 3, required: true, maxLength: rules().limits.reply_body });
  return h('form', { class: `card ${internal ? 'note-form' : 'reply-form'}`, onsubmit: async (e) => {
    e.preventDefault();
    await post(report, 'messages', { body: body.value, internal }, reload, internal ? t('saved') : t('sent'));
  } }, field(internal ? t('note') : t('reply'), body),
  h('button', { type: 'submit', class: internal ? '' : 'primary' }, internal ? t('addNote') : t('send')));
}

function statusForm(report, reload) {
  if (!report.transitions.length) return null;
  const status = select('status', report.transitions.map((s) => [s, label('status', s)]));
  const reason = h('input', { name: 'reason', maxLength: rules().limits.status_reason });
  return h('form', { class: 'card status-form', onsubmit: async (e) => {
    e.preventDefault();
    if (rules().statuses_needing_reason.includes(status.value) && !reason.value.trim()) {
      reason.setCustomValidity(t('reasonNeeded'));
      reason.reportValidity();
      return;
    }
    await post(report, 'status', { status: status.value, reason: reason.value }, reload);
  } }, h('h3', {}, t('changeStatus')), field(t('status'), status),
  field(t('reason'), reason), h('button', { type: 'submit', class: 'primary' }, t('apply')));
}

function assignForm(report, officers, reload) {
  const choice = select('officer_id', [['', t('nobody')], ...officers.map((o) => [o.id, o.display_name])], report.assigned_officer_id ?? '');
  return h('form', { class: 'card assign-form', onsubmit: async (e) => {
    e.preventDefault();
    const officerId = choice.value ? Number(choice.value) : null;
    await post(report, 'assign', { officer_id: officerId }, reload);
  } }, field(t('assign'), choice), h('button', { type: 'submit' }, t('save')));
}

function appointmentForm(report, reload) {
  // Day and time typed as dd/mm/yyyy and hh:mm: a datetime-local input follows the browser's locale (issue 15).
  const local = toLocalInput(report.appointment_at || report.appointment_requested_at);
  const day = dayInput('appointment_day', local.slice(0, 10), { required: true });
  const hour = timeInput('appointment_time', local.slice(11, 16), { required: true });
  return h('form', { class: 'card appointment-form', onsubmit: async (e) => {
    e.preventDefault();
    const iso = parseDayText(day.value);
    const [hh, mm] = hour.value.split(':');
    if (!iso || !(Number(hh) < 24 && Number(mm) < 60)) return day.setCustomValidity(t('badDay')) || day.reportValidity();
    const at = fromLocalInput(`${iso}T${hh.padStart(2, '0')}:${mm}`);
    await post(report, 'appointment', { appointment_at: at }, reload);
  } }, h('h3', {}, t('appointment')), booked(report),
  h('div', { class: 'day-time' }, field(t('day'), day), field(t('hour'), hour)),
  h('button', { type: 'submit', class: 'primary' }, t('confirm')));
}

/** What the household booked: the procedure and the papers to bring (to check them at the desk), and its slot. */
function booked(report) {
  const box = h('dl', { class: 'facts booked' });
  api(`/appointments/reports/${encodeURIComponent(report.id)}`).then((b) => mount(box, [
    b.procedure ? [h('dt', {}, t('procedure')), h('dd', {}, b.procedure)] : [],
    b.papers.length ? [h('dt', {}, t('papers')), h('dd', {}, h('ul', {}, b.papers.map((p) => h('li', {}, p))))] : [],
    b.starts_at ? [h('dt', {}, t('slot')), h('dd', {}, when(b.starts_at))] : [],
  ].flat())).catch(() => {});
  return box;
}

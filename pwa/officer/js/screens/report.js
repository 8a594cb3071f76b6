// One report: its text and photos (and what is still uploading), the thread, and every action on it.
import { api } from '../api.js';
import { label, t } from '../../../lib/i18n.js';
import { rules } from '../../../lib/rules.js';
import { fromLocalInput, toLocalInput, when } from '../../../lib/time.js';
import { attempt, field, h, heading, mount, select } from '../ui.js';
import * as voice from '../../../js/voice.js';

const isVoice = (a) => a.content_type.startsWith('audio/');
const fileUrl = (id) => `/api/v1/officer/attachments/${id}`;

/** Screen: the report with id. */
export async function reportScreen({ id, go }) {
  const [report, officers] = await Promise.all([api(`/reports/${encodeURIComponent(id)}`), api('/officers')]);
  const reload = () => go(`#/report/${report.id}`);
  return h('section', { class: 'report-page' },
    h('a', { href: '#/queue', class: 'back' }, t('back')),
    heading(`${label('kind', report.kind)}${report.category ? ' · ' + label('category', report.category) : ''} — ${report.tracking_code}`),
    facts(report),
    h('div', { class: 'columns' },
      h('div', {}, h('p', { class: 'body' }, report.body), recordings(report, reload), photos(report), thread(report)),
      h('div', { class: 'side' }, statusForm(report, reload), assignForm(report, officers, reload),
        report.kind === 'appointment' ? appointmentForm(report, reload) : null)),
    replyForm(report, reload, false), report.group ? voiceReplyForm(report, reload) : null, replyForm(report, reload, true));
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

/** A recording played inline, at 1× or 1.5× (issue 16). */
function player(id, durationMs) {
  const el = h('audio', { controls: true, preload: 'metadata', src: fileUrl(id), class: 'voice-player' });
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
      const text = h('textarea', { name: 'transcript', rows: 3, maxLength: 5000 }, a.transcript || '');
      text.value = a.transcript || '';
      return h('div', {}, player(a.id, a.duration_ms),
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

function photos(report) {
  const pictures = report.attachments.filter((a) => !isVoice(a));
  if (!pictures.length) return null;
  return h('section', { 'aria-label': t('photos') }, h('h3', {}, t('photos')),
    h('div', { class: 'photos' }, pictures.map((a) => a.complete
      ? h('a', { href: `/api/v1/officer/attachments/${a.id}`, target: '_blank', rel: 'noopener' },
        h('img', { src: `/api/v1/officer/attachments/${a.id}`, alt: `${t('photos')} ${a.id.slice(0, 8)}`, loading: 'lazy' }))
      : h('div', { class: 'pending' }, h('progress', { max: a.size, value: a.received }), t('uploading', { r: a.received, s: a.size })))));
}

function thread(report) {
  return h('section', { class: 'thread', 'aria-label': t('thread') }, h('h3', {}, t('thread')),
    h('ol', {}, report.messages.map((m) => h('li', { class: `msg ${m.author} ${m.internal ? 'internal' : ''}` },
      h('div', { class: 'meta' },
        m.author === 'household' ? t('fromHousehold') : m.officer_name || t('officers'),
        m.internal ? h('span', { class: 'badge' }, t('internal')) : null, ' — ', when(m.created_at),
        m.read_at ? ` — ${t('readOnPhone')}` : ''),
      m.body ? h('p', {}, m.body) : null, m.voice ? player(m.voice.id, m.voice.duration_ms) : null))));
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
  const at = h('input', { type: 'datetime-local', name: 'appointment_at', required: true,
    value: toLocalInput(report.appointment_at || report.appointment_requested_at) });
  return h('form', { class: 'card appointment-form', onsubmit: async (e) => {
    e.preventDefault();
    await post(report, 'appointment', { appointment_at: fromLocalInput(at.value) }, reload);
  } }, h('h3', {}, t('appointment')), field(t('confirm'), at), h('button', { type: 'submit', class: 'primary' }, t('confirm')));
}

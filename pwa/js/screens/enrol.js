// First run: the group's one-time enrolment code (the one step that needs a link).
import { h } from '../../lib/dom.js';
import { t } from '../../lib/i18n.js';
import { enrol } from '../enrolment.js';
import { ApiError } from '../../lib/api.js';

function reason(err) {
  if (err instanceof ApiError && err.status === 429) return t('enrol.slow');
  if (!(err instanceof ApiError) || err.retryable) return t('enrol.offline');
  if (err.status === 410) return t('enrol.used');
  return t('enrol.wrong');
}

/** Renders the enrolment form. */
export async function render(app) {
  const input = h('input', { id: 'code', name: 'code', required: true, autocomplete: 'off',
    autocapitalize: 'characters', spellcheck: 'false', placeholder: '7KQ3-MX9A-2B' });
  const msg = h('p', { class: 'msg', role: 'alert' });
  const btn = h('button', { class: 'btn primary', type: 'submit' }, t('enrol.submit'));
  const onsubmit = async (e) => {
    e.preventDefault();
    btn.disabled = true;
    msg.textContent = t('enrol.working');
    try {
      await enrol(input.value);
      app.go('#/');
    } catch (err) {
      msg.textContent = reason(err);
    } finally {
      btn.disabled = false;
    }
  };
  return h('form', { class: 'card', onsubmit },
    h('h2', {}, t('enrol.title')), h('p', {}, t('enrol.help')),
    h('label', { for: 'code' }, t('enrol.code')), input, btn, msg);
}

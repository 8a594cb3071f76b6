// The commune's SMS gateway (issue 17, docs/deploy-sms.md): the head sets its number and webhook signing key; every
// officer sees the SMS the gateway delivered that were refused, and why.
import { api } from '../api.js';
import { t } from '../../../lib/i18n.js';
import { when } from '../../../lib/time.js';
import { errorText, field, h, heading, toast } from '../ui.js';

function gatewayForm(gateway, go) {
  const number = h('input', { name: 'number', required: true, value: gateway.number || '', inputmode: 'tel',
    autocomplete: 'off', placeholder: '+84912345678' });
  const key = h('input', { name: 'signing_key', type: 'password', required: true, minLength: 8, autocomplete: 'off' });
  const apiUrl = h('input', { name: 'api_url', value: gateway.api_url || '', autocomplete: 'off',
    placeholder: 'http://192.168.1.50:8080/messages' });
  const apiUser = h('input', { name: 'api_username', value: gateway.api_username || '', autocomplete: 'off' });
  const apiPassword = h('input', { name: 'api_password', type: 'password', autocomplete: 'off' });
  const message = h('p', { role: 'status' });
  return h('form', { class: 'card narrow', onsubmit: async (e) => {
    e.preventDefault();
    try {
      await api('/sms/gateway', { method: 'PUT', json: { number: number.value.trim(), signing_key: key.value.trim(),
        api_url: apiUrl.value.trim(), api_username: apiUser.value.trim(), api_password: apiPassword.value } });
      toast(t('smsSaved'));
      go('#/sms');
    } catch (error) {
      message.textContent = errorText(error);
    }
  } },
  h('h3', {}, t('smsGateway')),
  h('p', {}, gateway.configured
    ? t('smsConfigured', { number: gateway.number, hint: gateway.key_hint, at: when(gateway.updated_at) })
    : t('smsNotConfigured')),
  field(t('smsNumber'), number, t('smsNumberHint')),
  field(t('smsKey'), key, t('smsKeyHint')),
  h('p', { class: 'muted' }, t('smsWebhook'), ' ', h('code', {}, gateway.webhook_url)),
  h('h4', {}, t('smsReplies')), h('p', { class: 'muted' }, t('smsRepliesHelp')),
  field(t('smsApiUrl'), apiUrl), field(t('smsApiUser'), apiUser), field(t('smsApiPassword'), apiPassword),
  message, h('button', { type: 'submit', class: 'primary' }, t('save')));
}

/** Screen: the gateway (head) and the refused SMS (everyone). */
export async function smsScreen({ officer, go }) {
  const head = officer.role === 'head' || officer.role === 'admin';
  const [gateway, refused] = await Promise.all([head ? api('/sms/gateway') : null, api('/sms/refused')]);
  return h('section', {}, heading(t('sms')),
    gateway ? gatewayForm(gateway, go) : null,
    h('h3', {}, t('smsRefused')),
    h('p', { class: 'muted' }, t('smsRefusedHelp')),
    refused.length ? h('table', { class: 'grid' },
      h('thead', {}, h('tr', {}, [t('when'), t('smsReason'), t('smsSender'), t('smsDevice'), t('smsReport')]
        .map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, refused.map((r) => h('tr', {},
        h('td', {}, when(r.received_at)),
        h('td', {}, t('smsWhy.' + r.reason) === 'smsWhy.' + r.reason ? r.reason : t('smsWhy.' + r.reason)),
        h('td', {}, r.sender || ''),
        h('td', {}, r.device_id ? `📱 #${r.device_id}` : ''),
        h('td', {}, r.report_id ? h('code', {}, r.report_id.slice(0, 8)) : '')))))
      : h('p', {}, t('smsNoneRefused')));
}

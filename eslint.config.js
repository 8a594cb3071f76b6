// ESLint for the two front ends (dev only: `npm install && npm run lint`). Plain ES modules in the browser,
// no build step; sw.js runs in a service worker. Globals are listed here rather than taken from a package,
// so that a use of something the phones' browsers lack shows up as no-undef.
import js from '@eslint/js';

const shared = [
  'AbortController', 'Blob', 'atob', 'btoa', 'CompressionStream', 'IDBKeyRange', 'Intl', 'MessageChannel', 'Request', 'Response',
  'TextDecoder', 'TextEncoder', 'URL', 'URLSearchParams', 'addEventListener', 'caches', 'clearTimeout', 'console',
  'clearInterval', 'crypto', 'fetch', 'indexedDB', 'location', 'navigator', 'queueMicrotask', 'self', 'setInterval', 'setTimeout',
];
const page = [
  'Node', 'confirm', 'createImageBitmap', 'document', 'history', 'localStorage', 'window',
  // Voice (issue 16): feature-detected before use (js/voice.js), absent on some phones.
  'AudioContext', 'MediaRecorder', 'SpeechSynthesisUtterance', 'speechSynthesis',
];
const readonly = (names) => Object.fromEntries(names.map((n) => [n, 'readonly']));

export default [
  { ignores: ['node_modules/'] },
  js.configs.recommended,
  {
    files: ['pwa/**/*.js'],
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: readonly(shared) },
    rules: { 'no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }] },
  },
  { files: ['pwa/**/*.js'], ignores: ['pwa/sw.js'], languageOptions: { globals: readonly(page) } },
];

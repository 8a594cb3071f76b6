// Hash routing for both front ends: every screen lives inside the one page (for the household app, the one
// cached shell), so navigation never needs the network.

/** The location hash: '#/report/abc?page=2' → {name: 'report', args: ['abc'], params: URLSearchParams}. */
export function parseHash() {
  const [path, search = ''] = location.hash.replace(/^#\/?/, '').split('?');
  const [name, ...args] = path.split('/');
  return { name, args: args.map(decodeURIComponent), params: new URLSearchParams(search) };
}

/** Navigates to hash; the same hash again renders again (no hashchange would fire). */
export function go(hash, render) {
  if (location.hash === hash) render();
  else location.hash = hash;
}

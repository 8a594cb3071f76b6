// Keyboard shortcuts (issue 15): in the queue j/k move between reports, x ticks one for a bulk action, Enter opens
// it, r opens it to reply; on a report r goes to the reply box. Keys typed into a field are the field's.

/** The reply box once the report screen shows it (it renders after its data arrives). */
function focusReply(tries = 120) {
  const box = document.querySelector('.reply-form textarea');
  if (box) box.focus();
  else if (tries) window.requestAnimationFrame(() => focusReply(tries - 1));
}

function typing(target) {
  return !!target && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));
}

/** Moves the queue's current report by step (+1 j, -1 k) and focuses its link (the browser scrolls to it). */
function move(items, step) {
  const at = items.findIndex((li) => li.classList.contains('current'));
  const next = items[Math.min(items.length - 1, Math.max(0, at < 0 ? 0 : at + step))];
  items.forEach((li) => li.classList.toggle('current', li === next));
  next.querySelector('.report-link').focus();
}

/** @param {(hash: string) => void} go the console's navigation */
export function install(go) {
  document.addEventListener('keydown', (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return;
    const items = [...document.querySelectorAll('.queue .reports li.report')];
    const current = items.find((li) => li.classList.contains('current'));
    if (items.length && (e.key === 'j' || e.key === 'k')) {
      e.preventDefault();
      move(items, e.key === 'j' ? 1 : -1);
    } else if (items.length && e.key === 'x' && current) {
      e.preventDefault();
      current.querySelector('input.pick').click();
    } else if (e.key === 'r' && items.length && current) {
      e.preventDefault();
      go(`#/report/${current.dataset.id}`);
      focusReply();
    } else if (e.key === 'r' && document.querySelector('.report-page .reply-form')) {
      e.preventDefault();
      focusReply();
    }
  });
}

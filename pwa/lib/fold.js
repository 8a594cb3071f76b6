// Text folded for search as the server folds it (server/reports/search.py): lower case, no tones, đ → d, spaces
// squeezed; so "trom ga" finds "trộm gà" in the sealed tips that only the console can read (issue 11).
/** @param {string} text @returns {string} */
export function fold(text) {
  return String(text).toLowerCase().replace(/đ/g, 'd').normalize('NFD').replace(/\p{M}/gu, '')
    .split(/\s+/).filter(Boolean).join(' ');
}

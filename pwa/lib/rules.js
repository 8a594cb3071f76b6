// The rules the server owns (GET /api/v1/rules): enum lists, statuses needing a reason, limits, time zone.
// The household app keeps its copy in IndexedDB (offline from enrolment on); the console fetches it at sign-in.
import { setZone } from './time.js';

let current = null;

/** Makes a rules document the one in force (and its time zone the one times are shown in). */
export function useRules(rules) {
  current = rules || null;
  setZone(current?.time_zone);
}

/** @returns {object|null} the rules in force, or null before they were ever fetched */
export const rules = () => current;

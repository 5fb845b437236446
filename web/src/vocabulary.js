/**
 * One vocabulary, served by the API (`GET /api/vocabulary`): the Chinese name of every status,
 * category, channel, role, intent, reminder type and profile field. Pages never carry their own
 * copies, so a renamed status shows the same everywhere. `label(group, key)` never shows an English
 * key: an unknown one reads 未知（…）-free "—" and is reported once in the console for developers.
 */
import { reactive } from "vue";
import { api } from "./api.js";

const state = reactive({ groups: {}, loaded: false });
let loading = null;
const reported = new Set();

export function loadVocabulary() {
  if (!loading) {
    loading = api("GET", "/api/vocabulary", null, { auth: false })
      .then((data) => { state.groups = (data && data.groups) || {}; state.loaded = true; })
      .catch((error) => { loading = null; throw error; });
  }
  return loading;
}

export function label(group, key) {
  if (key === null || key === undefined || key === "") return "—";
  const names = state.groups[group];
  const name = names && names[key];
  if (name) return name;
  if (state.loaded && !reported.has(`${group}:${key}`)) {
    reported.add(`${group}:${key}`);
    console.warn(`vocabulary: no label for ${group}.${key}`);
  }
  // Chinese text passed through (free values); an English key is never shown to staff.
  return /[\u4e00-\u9fff]/.test(String(key)) ? String(key) : "—";
}

/** [{value, label}] of a group, in the server's order: for selects and filters. */
export function options(group) {
  return Object.entries(state.groups[group] || {}).map(([value, text]) => ({ value, label: text }));
}

export const vocabulary = state;

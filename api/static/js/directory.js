// Who and where a source is, by id: names, districts, addresses and owners of the
// channels, enterprises and stations the page has loaded, and the names of the utilities
// that own them (GET /api/v1/utilities), so screens show names, never owner ids.

import { getJSON } from "./common.js";

const sources = new Map(); // id -> {id, kind, name, district, address, owner, ...}
const owners = new Map(); // utility id -> name

/** Remember every entry of a registry list (channels, enterprises, stations, hits). */
export function remember(kind, items) {
  for (const item of items) sources.set(item.id, { ...sources.get(item.id), kind, ...item });
}

export function sourceOf(id) {
  return sources.get(id) || null;
}

/** A source's name (a meter: its address), or null when the page does not know it. */
export function sourceName(id) {
  const s = sources.get(id);
  return s ? s.name || s.address || null : null;
}

/** "GAS-0100 文阳路燃气阀门井31号": the id with the name when known. */
export function sourceTitle(id) {
  const name = sourceName(id);
  return name ? `${id} ${name}` : id;
}

export async function loadOwners() {
  try {
    const page = await getJSON("/utilities", { limit: 1000 });
    for (const u of page.items) owners.set(u.id, u.name);
  } catch (error) {
    console.warn("utilities", error);
  }
}

/** The utility's name (its id only when the list could not be loaded). */
export function ownerName(id) {
  return owners.get(id) || id || "—";
}

// The API, called with relative URLs on the console's own port (the same routes and keys as the API port).
const KEY = 'feature-service.api-key';

/** The key for this browser tab's session only (sessionStorage: gone when the tab closes). */
export function getKey() { return sessionStorage.getItem(KEY) || ''; }
export function setKey(key) { if (key) sessionStorage.setItem(KEY, key); else sessionStorage.removeItem(KEY); }

/** An error answer: status, the API's code and message, and the problems of a rejected document. */
export class APIError extends Error {
  constructor(status, body, fallback) {
    super(body?.error?.message || fallback);
    this.status = status;
    this.code = body?.error?.code || (status === 0 ? 'network' : 'http_' + status);
    this.problems = body?.error?.problems || [];
  }
}

/** Listeners told of every 401 (a missing or wrong key), wherever it happened. */
const authListeners = new Set();
export function onAuthError(listener) { authListeners.add(listener); }

/** Calls the API; resolves to the parsed JSON (or text), rejects with an APIError. */
export async function api(path, { method = 'GET', body, contentType } = {}) {
  const headers = {};
  const key = getKey();
  if (key) headers['X-API-Key'] = key;
  if (contentType) headers['Content-Type'] = contentType;
  let response;
  try {
    response = await fetch(path, { method, body, headers, cache: 'no-store' });
  } catch (error) {
    throw new APIError(0, null, 'the service cannot be reached (' + error.message + ')');
  }
  const text = await response.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  if (!response.ok) {
    const error = new APIError(response.status, json, response.status + ' ' + response.statusText);
    if (response.status === 401) for (const listener of authListeners) listener(error);
    throw error;
  }
  return json ?? text;
}

/** Downloads a file through fetch (so the key goes in a header, not the URL) and saves it as `name`. */
export async function download(path, name) {
  const response = await fetch(path, { headers: { 'X-API-Key': getKey() } });
  if (!response.ok) {
    let body = null;
    try { body = await response.json(); } catch { body = null; }
    const error = new APIError(response.status, body, response.status + ' ' + response.statusText);
    if (response.status === 401) for (const listener of authListeners) listener(error);
    throw error;
  }
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

/** The live stream of a symbol: EventSource cannot send headers, so the key goes in `api_key`. */
export function stream(symbol, levels) {
  const query = new URLSearchParams({ symbol, levels: String(levels), api_key: getKey() });
  return new EventSource('/features/stream?' + query);
}

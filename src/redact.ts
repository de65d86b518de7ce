/**
 * Secret redaction for every string that leaves dbcheck (reports, errors, logs).
 * Secrets found in config (passwords, tokens) are registered at load time; credentials inside
 * URLs are removed by pattern whether registered or not.
 */
const secrets = new Set<string>();

/** Registers a secret value so that it never appears in output. Very short values are ignored. */
export function registerSecret(value: string | undefined | null): void {
  if (value && value.length >= 3) secrets.add(value);
}

// The password part runs to the LAST '@' of the authority, so a raw '@' inside a password
// ("postgres://u:p@ss@host") does not leave its tail behind.
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s:@\/]*)(:[^\s\/]*)?@/gi;
// key=value, key: value and JSON's "key":"value".
const KEY_VALUE_SECRET = /\b(password|passwd|pwd|token|secret|api[_-]?key)(["']?\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s,;&]+)/gi;

export function redact(text: string): string {
  let out = text.replace(URL_CREDENTIALS, (_m, scheme: string, user: string, pass?: string) =>
    pass ? `${scheme}${user}:***@` : `${scheme}${user}@`,
  );
  out = out.replace(KEY_VALUE_SECRET, (_m, key: string, sep: string) => `${key}${sep}***`);
  for (const s of secrets) {
    if (out.includes(s)) out = out.split(s).join('***');
  }
  return out;
}

/** Deep-redacts strings inside a JSON-like value. */
export function redactDeep<T>(value: T): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v)) as T;
  if (value && typeof value === 'object' && !(value instanceof Buffer)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactDeep(v);
    return out as T;
  }
  return value;
}

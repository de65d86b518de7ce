/**
 * Secret redaction for every string that leaves dbcheck (reports, errors, logs).
 * Credentials inside URLs and `password=…`-style pairs are removed by pattern. Secret values are
 * removed wherever they appear when passed in: `secretsOf(config.stores)`, which the CLI gives
 * every line it prints (the crash handler's included) and the engine every line it keeps
 * (StoreManager.secrets). There is no process-wide list: what is redacted is what the caller passes.
 */

/** Very short values are not treated as secrets: they would blank out ordinary text. */
const MIN_SECRET_LENGTH = 3;

// The password part runs to the LAST '@' of the authority, so a raw '@' inside a password
// ("postgres://u:p@ss@host") does not leave its tail behind.
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s:@\/]*)(:[^\s\/]*)?@/gi;
// key=value, key: value and JSON's "key":"value".
const KEY_VALUE_SECRET = /\b(password|passwd|pwd|token|secret|api[_-]?key)(["']?\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s,;&]+)/gi;
// Config keys whose string value is a secret.
const SECRET_KEY = /password|passwd|token|secret|api[_-]?key/i;

/**
 * Removes credentials and secrets from `text`: URL credentials, key/value secrets, registered
 * and `known` (the secrets of the current config, passed explicitly).
 */
export function redact(text: string, known: Iterable<string> = []): string {
  let out = text.replace(URL_CREDENTIALS, (_m, scheme: string, user: string, pass?: string) =>
    pass ? `${scheme}${user}:***@` : `${scheme}${user}@`,
  );
  out = out.replace(KEY_VALUE_SECRET, (m: string, key: string, sep: string, _v: string, at: number, whole: string) =>
    // "stores.redis.password: expected string" is dbcheck's own "config.path: message" line, not a
    // secret: its message stays readable. (A real password there is a known secret, removed below.)
    sep.trim() === ':' && whole[at - 1] === '.' ? m : `${key}${sep}***`,
  );
  for (const s of known) {
    if (s.length >= MIN_SECRET_LENGTH && out.includes(s)) out = out.split(s).join('***');
  }
  return out;
}

/**
 * Every secret value in the stores' config: passwords and tokens (any key that names one) and the
 * passwords inside URLs and addresses (with or without a scheme: Milvus takes user:password@host:port),
 * raw and decoded.
 */
export function secretsOf(stores: object): string[] {
  const found = new Set<string>();
  const visit = (value: unknown, key: string) => {
    if (typeof value === 'string') {
      if (SECRET_KEY.test(key)) found.add(value);
      const pass = /^(?:[a-z][a-z0-9+.-]*:\/\/)?[^\s:@\/]*:([^\s\/]*)@/i.exec(value)?.[1];
      if (pass) {
        found.add(pass);
        try {
          found.add(decodeURIComponent(pass));
        } catch {
          /* not %-encoded */
        }
      }
    } else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) visit(v, k);
    }
  };
  visit(stores, '');
  return [...found].filter((s) => s.length >= MIN_SECRET_LENGTH);
}

/** Deep-redacts strings inside a JSON-like value. */
export function redactDeep<T>(value: T, known: Iterable<string> = []): T {
  const list = [...known];
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return redact(v, list);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object' && !(v instanceof Buffer)) {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = walk(x);
      return out;
    }
    return v;
  };
  return walk(value) as T;
}

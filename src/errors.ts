/**
 * Errors dbcheck expects, classified by a `code` string (never by instanceof: a plugin may load a
 * second copy of this module). Anything without a known code is an internal error.
 */

export type StoreErrorCode =
  | 'STORE_UNREACHABLE' // refused, reset, no route
  | 'STORE_UNKNOWN_HOST'
  | 'STORE_TIMEOUT' // connect or call timed out
  | 'STORE_AUTH' // wrong password / token
  | 'STORE_TLS' // TLS demanded but not offered, bad certificate
  | 'STORE_MISSING_OBJECT' // table / collection / database does not exist
  | 'STORE_ERROR'; // the server said no for another reason

export type DbcheckErrorCode = StoreErrorCode | 'CONFIG' | 'USAGE' | 'PLUGIN' | 'CANCELLED' | 'TIMEOUT' | 'INTERNAL';

/** What a coded error may carry besides its code and message. */
export interface ErrorDetails {
  hint?: string;
  cause?: unknown;
  /** For a store error: the store's address (credentials removed), shown even when it is down. */
  address?: string;
}

/**
 * The one coded error: what a check throws to end itself with a clear message (status 'error'),
 * and what dbcheck's own code throws. `code` classifies it; the engine reads `code` (isCoded), never
 * instanceof, since a plugin may load another copy of this file. Exported to plugins by src/plugin.ts.
 */
export class CheckError extends Error {
  readonly code: string;
  readonly hint?: string;
  readonly address?: string;
  /** `details` is the hint alone (the form checks use) or hint, cause and address. */
  constructor(code: string, message: string, details?: string | ErrorDetails) {
    const d: ErrorDetails = typeof details === 'string' ? { hint: details } : (details ?? {});
    super(message, d.cause === undefined ? undefined : { cause: d.cause });
    this.name = 'CheckError';
    this.code = code;
    if (d.hint !== undefined) this.hint = d.hint;
    if (d.address !== undefined) this.address = d.address;
  }
}

/** dbcheck's own errors: the same class, its code narrowed to the codes dbcheck itself uses. */
export type DbcheckError = CheckError & { readonly code: DbcheckErrorCode };
export const DbcheckError = CheckError as new (code: DbcheckErrorCode, message: string, details?: ErrorDetails) => DbcheckError;

/** The first line of an error's message (or of the thrown value, if it has none): what one-line reports show. */
export function errorLine(err: unknown): string {
  return String((err as { message?: unknown } | null | undefined)?.message ?? err).split('\n')[0]!;
}

export function isCoded(err: unknown): err is { code: string; message: string; hint?: string } {
  return (
    typeof err === 'object' &&
    err !== null &&
    typeof (err as { code?: unknown }).code === 'string' &&
    typeof (err as { message?: unknown }).message === 'string'
  );
}

/**
 * Maps a low-level network error (Node's ECONNREFUSED etc., gRPC status text) to a store error
 * code. `text` is the error's message and code joined, lower-cased.
 */
export function classifyNetworkError(err: unknown): StoreErrorCode {
  const e = err as { code?: unknown; message?: unknown; errno?: unknown };
  const text = `${String(e?.code ?? '')} ${String(e?.message ?? err)}`.toLowerCase();
  // gRPC's deadline message lists its phases ("name resolution: 0.002s"): a deadline comes first.
  if (/deadline.?exceeded/.test(text)) return 'STORE_TIMEOUT';
  // Not a bare "dns": gRPC names every target "dns:host:port".
  if (/enotfound|eai_again|getaddrinfo|name resolution failed|dns resolution/.test(text)) return 'STORE_UNKNOWN_HOST';
  if (/password|authenticat|noauth|wrongpass|permission denied|unauthenticated|28p01|28000/.test(text)) return 'STORE_AUTH';
  if (/ssl|tls|certificate|self.signed|handshake/.test(text)) return 'STORE_TLS';
  if (/timeout|timed out|etimedout|deadline/.test(text)) return 'STORE_TIMEOUT';
  if (
    /econnrefused|econnreset|ehostunreach|enetunreach|epipe|unavailable|connection (is )?closed|connection terminated|no connection/.test(
      text,
    )
  )
    return 'STORE_UNREACHABLE';
  return 'STORE_ERROR';
}

const WORDING: Record<StoreErrorCode, string> = {
  STORE_UNREACHABLE: 'connection refused or lost',
  STORE_UNKNOWN_HOST: 'unknown host',
  STORE_TIMEOUT: 'timed out',
  STORE_AUTH: 'authentication failed',
  STORE_TLS: 'TLS failure',
  STORE_MISSING_OBJECT: 'object not found',
  STORE_ERROR: 'error',
};

/** A store error worded for a human: "Postgres at postgres://app@db:5432/app: authentication failed (…)". */
export function storeError(storeLabel: string, address: string, err: unknown, code = classifyNetworkError(err)): DbcheckError {
  const detail = errorLine(err);
  const hint =
    code === 'STORE_UNREACHABLE'
      ? 'is the server running and listening on that address?'
      : code === 'STORE_AUTH'
        ? 'check the user and password/token in the config or environment'
        : code === 'STORE_UNKNOWN_HOST'
          ? 'check the host name'
          : code === 'STORE_TLS'
            ? 'check the TLS / sslmode settings against what the server offers'
            : undefined;
  return new DbcheckError(code, `${storeLabel} at ${address}: ${WORDING[code]}${detail ? ` (${detail})` : ''}`, {
    hint,
    cause: err,
    address,
  });
}

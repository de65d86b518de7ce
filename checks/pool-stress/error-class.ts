/**
 * Sorts the errors a load run meets into a few classes a human can act on. Classified by SQLSTATE /
 * error code first and by wording second (the drivers and dbcheck's own store layer both word
 * their timeouts; neither is ours to change).
 */
export type LoadErrorClass =
  | 'acquire-timeout' // no pooled connection became free in time
  | 'statement-timeout' // Postgres cancelled the statement (statement_timeout)
  | 'command-timeout' // a Redis command got no reply in time
  | 'no-answer' // the server said nothing within the client-side deadline (frozen, black-holed): connection closed
  | 'thread' // a load thread crashed, failed to start or did not finish in time (pool-stress's own machinery)
  | 'connection' // refused, reset, terminated
  | 'server' // the server refused the operation (syntax, permissions, read-only, ...)
  | 'other';

export function classifyLoadError(err: unknown): LoadErrorClass {
  const e = err as { code?: unknown; message?: unknown } | undefined;
  const code = String(e?.code ?? '');
  const text = `${code} ${String(e?.message ?? err)}`.toLowerCase();
  if (code === '57014' || /statement timeout/.test(text)) return 'statement-timeout';
  if (/no answer from the server within/.test(text)) return 'no-answer';
  if (/acquire|timeout exceeded when trying to connect|pool.*(timeout|timed out)/.test(text)) return 'acquire-timeout';
  if (/command timed out|command timeout/.test(text)) return 'command-timeout';
  if (
    /econnrefused|econnreset|epipe|connection terminated|connection (is )?closed|terminating connection|too many clients|max(imum)? number of clients/.test(
      text,
    )
  ) {
    return 'connection';
  }
  // A SQLSTATE, or a Redis error reply (ERR, WRONGTYPE, NOPERM, ...).
  if (/^[0-9A-Z]{5}$/i.test(code) || /^[A-Z]{3,} /.test(String(e?.message ?? ''))) return 'server';
  return 'other';
}

/** Schema pieces the stores' config sections share (each store's section lives in its descriptor). */
import { z } from 'zod';

export const port = z.number().int().min(1).max(65535);

/** A URL the driver would otherwise half-parse (or silently ignore): checked here, exit 2. */
export function urlOf(protocols: string[]) {
  return z.string().superRefine((v, ctx) => {
    // ${VAR} already interpolated; an unparsable URL is a config mistake, never a store failure.
    let u: URL;
    try {
      u = new URL(v);
    } catch {
      ctx.addIssue({ code: 'custom', message: `not a valid URL (expected ${protocols[0]}//host:port/...)` });
      return;
    }
    // No host is fine: postgres:///app?host=/var/run/postgresql is a Unix socket.
    if (!protocols.includes(u.protocol))
      ctx.addIssue({ code: 'custom', message: `must start with ${protocols.map((p) => `${p}//`).join(' or ')}` });
    // The drivers decode the user and password: a stray % would fail later, as a store error.
    try {
      decodeURIComponent(u.username);
      decodeURIComponent(u.password);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'the user or password in the URL is not valid %-encoding (write % as %25)' });
    }
  });
}

/** Schema pieces the stores' config sections share (each store's section lives in its descriptor). */
import { z } from 'zod';

export const port = z.number().int().min(1).max(65535);

/** A URL the driver would otherwise half-parse (or silently ignore): checked here, exit 2. */
export function urlOf(protocols: string[]) {
  return z.string().superRefine((v, ctx) => {
    // ${VAR} already interpolated; an unparsable URL is a config mistake, never a store failure.
    // A password with a reserved character breaks the URL where it stands: the value is never
    // echoed (it holds the password), so say what usually causes it.
    const reservedHint = 'if the user or password holds @ : / ? or #, percent-encode it (# as %23)';
    let u: URL;
    try {
      u = new URL(v);
    } catch {
      const hint = v.includes('@') ? `; ${reservedHint}` : '';
      ctx.addIssue({ code: 'custom', message: `not a valid URL (expected ${protocols[0]}//host:port/...)${hint}` });
      return;
    }
    // "u:12#x@h" parses as host u, port 12 and a fragment: a store URL has no fragment, so an @ in
    // one is the rest of a password.
    if (u.hash.includes('@')) {
      ctx.addIssue({ code: 'custom', message: `the URL's host is not where it seems (an @ after a #); ${reservedHint}` });
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

/** Milvus addresses as shown to humans and as the SDK takes them (no SDK import: the descriptor and `dbcheck init` use these). */

/** The address as shown to humans: no `user:password@` part, no query string (may carry a token). */
export function displayMilvusAddress(address: string): string {
  return address.replace(/^([a-z][a-z0-9+.-]*:\/\/)?[^@/]*@/i, '$1').replace(/[?#].*$/, '');
}

/**
 * Splits `scheme://user:password@host:port` into an address without credentials and the
 * credentials: the SDK does not parse them (it would try to resolve "user:password@host" as a
 * host name and echo it in its error).
 */
export function splitMilvusAddress(address: string): { address: string; username?: string; password?: string } {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)?([^@/]*)@(.*)$/i.exec(address);
  if (!m) return { address };
  const [user, ...pass] = m[2]!.split(':');
  const decode = (v: string) => {
    try {
      return decodeURIComponent(v);
    } catch {
      return v;
    }
  };
  return {
    address: `${m[1] ?? ''}${m[3]}`,
    username: decode(user!) || undefined,
    password: pass.length ? decode(pass.join(':')) : undefined,
  };
}

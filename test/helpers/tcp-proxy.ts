/**
 * A real TCP proxy on 127.0.0.1 in front of a store, for fault tests: every byte between dbcheck
 * and the server goes through here, so a test can slow it down, freeze it or cut it — the faults
 * a network really produces, with no mock anywhere.
 *
 *   const proxy = await startTcpProxy(5432);
 *   // point dbcheck at 127.0.0.1:proxy.port
 *   proxy.addLatency(50);   proxy.stall();   proxy.resume();   proxy.cutAll();   proxy.cutAfterBytes(1e6);
 *   proxy.cutAfterBytes(1e6, { refuseNew: true });   expect(proxy.byteCuts).toBe(1);
 *
 * Each chunk is queued per direction and released in order once its due time has come and the
 * proxy is not stalled; a stalled proxy keeps every socket open and forwards nothing (new
 * connections are accepted but not forwarded either, like a frozen server or a black-holed route).
 */
import net from 'node:net';

export interface TcpProxy {
  readonly port: number;
  /** "127.0.0.1:<port>" */
  readonly address: string;
  /** Connections accepted so far, and those still open. */
  readonly connections: { total: number; open: number };
  /** Local ports of the proxy's sockets towards the server: how the server sees these clients. */
  readonly upstreamPorts: ReadonlySet<number>;
  /** Delays every chunk, both directions, by ms (0 removes the delay). */
  addLatency(ms: number): void;
  /** Stops forwarding; sockets stay open and data waits. */
  stall(): void;
  /** Forwards again, including what waited. */
  resume(): void;
  /** Destroys every proxied socket (both sides) at once, like a server that died. */
  cutAll(): void;
  /**
   * Cuts every connection once n more bytes went downstream (server -> client); with refuseNew,
   * new connections are refused from that moment on (a store that goes down and stays down).
   */
  cutAfterBytes(n: number, opts?: { refuseNew?: boolean }): void;
  /** How many cutAfterBytes limits were reached so far. */
  readonly byteCuts: number;
  /** From now on, new connections are closed at once (a store that stays down after a cut). */
  refuseNew(): void;
  close(): Promise<void>;
}

interface Pipe {
  queue: Array<{ chunk: Buffer; dueAt: number }>;
  timer?: NodeJS.Timeout;
  /** The sending side closed: end the receiving side once the queue is delivered. */
  ending?: boolean;
}

interface Link {
  client: net.Socket;
  server: net.Socket;
  up: Pipe; // client -> server
  down: Pipe; // server -> client
}

export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  const links = new Set<Link>();
  const upstreamPorts = new Set<number>();
  const connections = { total: 0, open: 0 };
  let latencyMs = 0;
  let stalled = false;
  let refusing = false;
  let downstreamBytes = 0;
  let cutAt: number | undefined;
  let refuseAfterCut = false;
  let byteCuts = 0;
  let cutting = false;

  const destroy = (link: Link) => {
    clearTimeout(link.up.timer);
    clearTimeout(link.down.timer);
    link.client.destroy();
    link.server.destroy();
    links.delete(link);
  };

  const cutAll = () => {
    for (const link of [...links]) destroy(link);
  };

  /** Sends whatever is due, in order; re-arms a timer for the next chunk if it is not due yet. */
  const pump = (link: Link, pipe: Pipe, to: net.Socket, downstream: boolean) => {
    clearTimeout(pipe.timer);
    pipe.timer = undefined;
    if (stalled) return;
    while (pipe.queue.length) {
      const head = pipe.queue[0]!;
      const wait = head.dueAt - Date.now();
      if (wait > 0) {
        pipe.timer = setTimeout(() => pump(link, pipe, to, downstream), wait);
        return;
      }
      pipe.queue.shift();
      if (to.destroyed || cutting) return;
      if (downstream && cutAt !== undefined && downstreamBytes + head.chunk.length >= cutAt) {
        // Deliver exactly up to the cut, then cut everything once those bytes are on their way.
        const part = head.chunk.subarray(0, cutAt - downstreamBytes);
        downstreamBytes += part.length;
        cutAt = undefined;
        cutting = true;
        byteCuts++;
        if (refuseAfterCut) refusing = true;
        to.write(part, () => {
          cutting = false;
          cutAll();
        });
        return;
      }
      to.write(head.chunk);
      if (downstream) downstreamBytes += head.chunk.length;
    }
    // Everything that was sent before the sender closed has been delivered: close gracefully
    // (end() flushes, destroy() would drop e.g. a server's last error message).
    if (pipe.ending && !to.destroyed) to.end();
  };

  const pumpAll = () => {
    for (const link of links) {
      pump(link, link.up, link.server, false);
      pump(link, link.down, link.client, true);
    }
  };

  const server = net.createServer((client) => {
    connections.total++;
    if (refusing) {
      client.destroy();
      return;
    }
    connections.open++;
    const upstream = net.connect(targetPort, targetHost);
    const link: Link = { client, server: upstream, up: { queue: [] }, down: { queue: [] } };
    links.add(link);
    upstream.on('connect', () => {
      if (upstream.localPort) upstreamPorts.add(upstream.localPort);
    });
    const enqueue = (pipe: Pipe, to: net.Socket, downstream: boolean) => (chunk: Buffer) => {
      const last = pipe.queue.at(-1)?.dueAt ?? 0;
      pipe.queue.push({ chunk, dueAt: Math.max(Date.now() + latencyMs, last) });
      if (!pipe.timer) pump(link, pipe, to, downstream);
    };
    client.on('data', enqueue(link.up, upstream, false));
    upstream.on('data', enqueue(link.down, client, true));
    // A side that ends (FIN) ends the other once its queued data is delivered; when both are
    // closed, or on an error, the link is gone.
    client.on('end', () => {
      link.up.ending = true;
      pump(link, link.up, upstream, false);
    });
    upstream.on('end', () => {
      link.down.ending = true;
      pump(link, link.down, client, true);
    });
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      connections.open--;
      destroy(link);
    };
    let closedSides = 0;
    const sideClosed = () => {
      if (++closedSides === 2) close();
    };
    client.on('close', sideClosed);
    upstream.on('close', sideClosed);
    client.on('error', close);
    upstream.on('error', close);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;

  return {
    port,
    address: `127.0.0.1:${port}`,
    connections,
    upstreamPorts,
    addLatency(ms) {
      latencyMs = ms;
    },
    stall() {
      stalled = true;
    },
    resume() {
      stalled = false;
      pumpAll();
    },
    cutAll,
    cutAfterBytes(n, opts = {}) {
      cutAt = downstreamBytes + n;
      refuseAfterCut = opts.refuseNew ?? false;
    },
    get byteCuts() {
      return byteCuts;
    },
    refuseNew() {
      refusing = true;
    },
    async close() {
      refusing = true;
      cutAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

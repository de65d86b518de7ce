/**
 * What a Milvus server can do that dbcheck relies on, by the version it reports (GetVersion).
 *
 * One table, so every place that behaves differently per server asks it instead of parsing
 * versions itself. Nothing here trusts a server blindly: the pager still confirms every page with
 * a count, so a wrong entry costs speed, never exactness. Sources for each entry are in
 * docs/milvus-paging.md ("Server versions"). A version we cannot read gets the 2.3 entry (the
 * oldest we test, with the most known faults) and a note saying so, shown in the health check.
 */

export interface MilvusCapabilities {
  /** Real Milvus (standalone, cluster, Zilliz Cloud) or the Python Milvus Lite 3.x. */
  server: 'milvus' | 'milvus-lite';
  /** The version as the server reported it. */
  version: string;
  /** [major, minor, patch] when the version could be read. */
  release?: [number, number, number];
  /**
   * `count(*)` as a query output field (real Milvus 2.3.0+, milvus-io/milvus#25906). Without it a
   * scan cannot be proven complete, so count() and scan() refuse with a clear error.
   */
  countStar: boolean;
  /**
   * An unfiltered count(*) with partition_names counts only those partitions (real Milvus). Milvus
   * Lite answers it from collection statistics, so the connector adds an always-true filter.
   */
  partitionCountHonoured: boolean;
  /**
   * A scan can pin every query to one read timestamp taken from the server at its start
   * (AllocTimestamp, and consistency Customized, whose guarantee_timestamp the proxy uses as given:
   * `parseGuaranteeTsFromConsistency` in 2.3 through 2.6). Strong consistency instead waits for a
   * fresh time tick on every query: ~200 ms each on Milvus 2.3.5 (docs/milvus-paging.md).
   */
  pinnedReads: boolean;
  /** What was assumed and why, for the health check's stats (empty when the version was known). */
  notes: string[];
}

const MILVUS_2_3: Omit<MilvusCapabilities, 'version' | 'release' | 'notes'> = {
  server: 'milvus',
  countStar: true,
  partitionCountHonoured: true,
  pinnedReads: true,
};

/** Milvus Lite 3.x reports `milvus_lite-3.2.2`; the real server `v2.3.5`, `v2.3.5-lite` (embedded), `2.4.13-hotfix`. */
const LITE_VERSION = /^milvus[_-]lite[-_ ]v?(\d+)\.(\d+)\.(\d+)/i;
const SERVER_VERSION = /^v?(\d+)\.(\d+)\.(\d+)(?:[-+.][\w.-]*)?$/;

export function capabilitiesFor(version: string): MilvusCapabilities {
  const text = String(version ?? '').trim();
  const lite = LITE_VERSION.exec(text);
  if (lite) {
    return {
      server: 'milvus-lite',
      version: text,
      release: [Number(lite[1]), Number(lite[2]), Number(lite[3])],
      countStar: true,
      partitionCountHonoured: false,
      pinnedReads: false,
      notes: [],
    };
  }
  const m = SERVER_VERSION.exec(text);
  if (!m) {
    return {
      ...MILVUS_2_3,
      // An unknown server might count partitions like Milvus Lite: the always-true filter is right on both.
      partitionCountHonoured: false,
      pinnedReads: false,
      version: text,
      notes: [`unrecognised Milvus version ${JSON.stringify(text.slice(0, 60))}: assuming Milvus 2.3 behaviour`],
    };
  }
  const release: [number, number, number] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const atLeast = (major: number, minor: number) => release[0] > major || (release[0] === major && release[1] >= minor);
  if (!atLeast(2, 3)) {
    return {
      ...MILVUS_2_3,
      version: text,
      release,
      countStar: false,
      notes: [`Milvus ${text} predates count(*) (added in 2.3.0): collections cannot be scanned or counted exactly`],
    };
  }
  // 2.3 through 2.6 and 3.x: the same for everything above (docs/milvus-paging.md, "Server versions").
  return { ...MILVUS_2_3, version: text, release, notes: [] };
}

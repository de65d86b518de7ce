import { describe, expect, it } from 'vitest';
import { capabilitiesFor } from '../../src/stores/milvus/capabilities.js';

describe('capabilitiesFor', () => {
  it('real Milvus 2.3 through 3.x: count(*), limited queries in key order, partitions counted, scans pinned to one read time', () => {
    for (const v of ['v2.3.5', 'v2.3.5-lite', '2.4.13-hotfix', 'v2.5.8', 'v2.6.0-rc1', 'v3.0.0']) {
      const c = capabilitiesFor(v);
      expect(c, v).toMatchObject({
        server: 'milvus',
        version: v,
        countStar: true,
        partitionCountHonoured: true,
        pinnedReads: true,
      });
      expect(c.notes, v).toEqual([]);
    }
    expect(capabilitiesFor('v2.6.3').release).toEqual([2, 6, 3]);
  });

  it('the embedded real server (`v2.3.5-lite`) is not Milvus Lite 3.x (`milvus_lite-3.2.2`)', () => {
    expect(capabilitiesFor('v2.3.5-lite').server).toBe('milvus');
    expect(capabilitiesFor('milvus_lite-3.2.2')).toMatchObject({
      server: 'milvus-lite',
      release: [3, 2, 2],
      countStar: true,
      partitionCountHonoured: false,
      pinnedReads: false,
      notes: [],
    });
  });

  it('before 2.3.0 there is no count(*): said in a note, and count/scan refuse (countStar false)', () => {
    const c = capabilitiesFor('v2.2.16');
    expect(c.countStar).toBe(false);
    expect(c.notes[0]).toMatch(/predates count\(\*\)/);
  });

  it('an unreadable version gets the 2.3 behaviour, the always-true partition filter, and a note', () => {
    for (const v of ['', 'Zilliz Cloud', 'memory-2.4.0', 'v2', '2.x.1']) {
      const c = capabilitiesFor(v);
      // Strong per query: an unknown server may not keep a Customized guarantee timestamp as given.
      expect(c, v).toMatchObject({ server: 'milvus', countStar: true, partitionCountHonoured: false, pinnedReads: false });
      expect(c.release, v).toBeUndefined();
      expect(c.notes[0], v).toMatch(/unrecognised Milvus version .*assuming Milvus 2\.3 behaviour/);
    }
    expect(capabilitiesFor(undefined as unknown as string).notes).toHaveLength(1);
  });
});

/**
 * The demo data set, as a pure, deterministic plan: what rows, vectors and cache entries exist,
 * and which faults are planted where. scripts/seed-demo.ts writes this plan to the real servers.
 *
 * Same seed, same plan: ids of planted faults do not change between runs, so demo/PLANTED.md is
 * stable. Only timestamps are relative to the moment of seeding (`now`).
 */
import { createHash } from 'node:crypto';

export const DEMO_SCHEMA = 'dbcheck_demo';
export const DEMO_COLLECTION = 'dbcheck_demo_chunks';
export const CACHE_PREFIX = 'demo:doc:'; // demo:doc:{id}
export const FORBIDDEN_PREFIX = 'demo:v1:'; // the namespace the app left behind in its v1 -> v2 move
export const VECTOR_DIM = 8;
export const CURRENT_MODEL = 'embed-v2';
export const OLD_MODEL = 'embed-v1';
/** The app caches a document for at most an hour (cache-aside, TTL set on every fill). */
export const CACHE_TTL_MAX_S = 3600;

const DOCUMENTS = 2000;
const CACHED_DOCUMENTS = 600;
const DAY_MS = 86_400_000;

export interface DocumentRow {
  id: number;
  title: string;
  status: 'published' | 'draft' | 'archived';
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface ChunkRow {
  id: number;
  documentId: number;
  ordinal: number;
  content: string;
  contentHash: string;
  embedded: boolean;
  updatedAt: Date;
}

export interface VectorRow {
  id: number; // = chunk id
  documentId: number;
  model: string;
  contentHash: string; // hash of the content that was embedded
  embeddedAt: number; // epoch ms
  embedding: number[];
}

export interface CacheEntry {
  key: string;
  value: string; // JSON
  ttlSeconds: number | null; // null: no expiry
}

/** Every planted fault, by kind, with the ids involved (sorted). */
export interface Planted {
  chunksWithoutVector: number[];
  vectorsWithoutChunk: number[];
  duplicateEmbeddings: Array<{ original: number; copy: number }>;
  staleContentVectors: number[];
  staleModelVectors: number[];
  deletedDocuments: number[];
  orphanChunks: number[];
  cacheStale: number[];
  cacheDiffers: number[];
  cacheNoTtl: number[];
  cacheRowGone: number[];
  forbiddenKeys: string[];
  /** Not a fault: chunks written moments ago and not embedded yet (embedded = false). */
  pendingChunks: number[];
}

export interface DemoData {
  documents: DocumentRow[]; // what Postgres holds
  chunks: ChunkRow[]; // what Postgres holds
  vectors: VectorRow[]; // what Milvus holds
  cache: CacheEntry[]; // what Redis holds
  planted: Planted;
  counts: { documents: number; chunks: number; vectors: number; cacheKeys: number };
}

/** mulberry32: a tiny seeded PRNG, good enough for demo data. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TOPICS = ['billing', 'onboarding', 'search', 'latency', 'invoices', 'refunds', 'SSO', 'exports', 'webhooks', 'quotas'];
const KINDS = ['Runbook', 'FAQ', 'Postmortem', 'Design note', 'How-to', 'Release note'];
const WORDS = (
  'the service retries each request with backoff until the queue drains and the worker pool ' +
  'reports healthy again while operators watch latency budgets error rates and the cache hit ' +
  'ratio on the dashboard before they roll the change out to every region in the fleet'
).split(' ');

export function md5(text: string): string {
  return createHash('md5').update(text).digest('hex');
}

export function buildDemoData(now: Date = new Date(), seed = 20261125): DemoData {
  const rand = prng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
  const sentence = () => {
    const words = Array.from({ length: int(12, 24) }, () => pick(WORDS));
    return words.join(' ').replace(/^./, (c) => c.toUpperCase()) + '.';
  };
  const vector = () => {
    const v = Array.from({ length: VECTOR_DIM }, () => rand() * 2 - 1);
    const norm = Math.hypot(...v) || 1;
    return v.map((x) => Math.round((x / norm) * 1e6) / 1e6);
  };
  // Takes `n` distinct items from `pool`, removing them so no item carries two faults.
  const takeFrom = <T>(pool: T[], n: number): T[] => {
    const taken: T[] = [];
    for (let i = 0; i < n && pool.length > 0; i++) taken.push(pool.splice(Math.floor(rand() * pool.length), 1)[0]!);
    return taken;
  };
  const byNumber = (a: number, b: number) => a - b;
  const nowMs = now.getTime();

  // ---- documents and their chunks, all healthy at first. Every row was last written at least
  // a day ago, so no planted cache fault can be explained away by a fresh write.
  const documents: DocumentRow[] = [];
  const chunks: ChunkRow[] = [];
  const vectors = new Map<number, VectorRow>();
  let nextChunkId = 1;
  for (let id = 1; id <= DOCUMENTS; id++) {
    const createdAt = new Date(nowMs - int(30, 400) * DAY_MS - int(0, DAY_MS));
    const updatedAt = new Date(Math.max(createdAt.getTime(), nowMs - int(1, 29) * DAY_MS - int(0, DAY_MS)));
    const doc: DocumentRow = {
      id,
      title: `${pick(KINDS)}: ${pick(TOPICS)} #${id}`,
      status: rand() < 0.8 ? 'published' : rand() < 0.5 ? 'draft' : 'archived',
      version: int(1, 9),
      createdAt,
      updatedAt,
    };
    documents.push(doc);
    const chunkCount = int(3, 7);
    for (let ordinal = 0; ordinal < chunkCount; ordinal++) {
      const content = `${sentence()} ${sentence()} ${sentence()}`;
      const chunk: ChunkRow = {
        id: nextChunkId++,
        documentId: id,
        ordinal,
        content,
        contentHash: md5(content),
        embedded: true,
        updatedAt: new Date(updatedAt.getTime() - int(0, 3600_000)),
      };
      chunks.push(chunk);
      vectors.set(chunk.id, {
        id: chunk.id,
        documentId: id,
        model: CURRENT_MODEL,
        contentHash: chunk.contentHash,
        embeddedAt: chunk.updatedAt.getTime() + int(5_000, 600_000),
        embedding: vector(),
      });
    }
  }

  // ---- plant the faults. Candidates for each kind come from one shuffled pool, so each planted
  // chunk or document carries exactly one fault and the expected counts are exact.
  const chunkPool = chunks.map((c) => c.id);
  const chunkById = new Map(chunks.map((c) => [c.id, c]));

  // Documents deleted without their chunks (no FK): their chunks become orphans (vectors kept).
  const deletedDocuments = takeFrom(
    documents.map((d) => d.id),
    3,
  ).sort(byNumber);
  const orphanChunks = chunks.filter((c) => deletedDocuments.includes(c.documentId)).map((c) => c.id);
  for (const id of orphanChunks) chunkPool.splice(chunkPool.indexOf(id), 1);

  // The embedder lost these: the row says embedded, Milvus has nothing.
  const chunksWithoutVector = takeFrom(chunkPool, 7).sort(byNumber);
  for (const id of chunksWithoutVector) vectors.delete(id);

  // Chunks deleted in Postgres whose vectors were never deleted.
  const vectorsWithoutChunk = takeFrom(chunkPool, 5).sort(byNumber);
  const removedChunks = new Set(vectorsWithoutChunk);

  // A batch writer reused a buffer: these chunks carry a copy of another chunk's embedding.
  const duplicateEmbeddings = takeFrom(chunkPool, 3)
    .sort(byNumber)
    .map((copy) => {
      const original = takeFrom(chunkPool, 1)[0]!;
      vectors.get(copy)!.embedding = [...vectors.get(original)!.embedding];
      return { original, copy };
    });

  // Edited after they were embedded, never re-embedded: the vector describes the old text.
  const staleContentVectors = takeFrom(chunkPool, 6).sort(byNumber);
  for (const id of staleContentVectors) {
    const chunk = chunkById.get(id)!;
    const vec = vectors.get(id)!;
    chunk.content = `${chunk.content} (Edited: ${sentence()})`;
    chunk.contentHash = md5(chunk.content);
    chunk.updatedAt = new Date(vec.embeddedAt + int(1, 5) * DAY_MS);
  }

  // Still embedded with the previous model after the move to embed-v2.
  const staleModelVectors = takeFrom(chunkPool, 4).sort(byNumber);
  for (const id of staleModelVectors) vectors.get(id)!.model = OLD_MODEL;

  // Not a fault: the newest chunks of a few documents, written a minute ago, not embedded yet.
  const pendingChunks = takeFrom(chunkPool, 12).sort(byNumber);
  for (const id of pendingChunks) {
    const chunk = chunkById.get(id)!;
    chunk.embedded = false;
    chunk.updatedAt = new Date(nowMs - 60_000);
    vectors.delete(id);
  }

  // ---- the Redis cache: JSON copies of hot documents, each with a TTL of at most an hour.
  const docById = new Map(documents.map((d) => [d.id, d]));
  const livePool = documents.map((d) => d.id).filter((id) => !deletedDocuments.includes(id));
  const cachedIds = takeFrom(livePool, CACHED_DOCUMENTS);
  const cacheDocPool = [...cachedIds];
  const cacheStale = takeFrom(cacheDocPool, 4).sort(byNumber);
  const cacheDiffers = takeFrom(cacheDocPool, 3).sort(byNumber);
  const cacheNoTtl = takeFrom(cacheDocPool, 3).sort(byNumber);
  const cacheRowGone = [...deletedDocuments]; // cached, then the row was deleted
  const json = (d: DocumentRow) =>
    JSON.stringify({ id: d.id, title: d.title, status: d.status, version: d.version, updated_at: d.updatedAt.toISOString() });

  const cache: CacheEntry[] = [];
  for (const id of [...cachedIds, ...cacheRowGone].sort(byNumber)) {
    const doc = docById.get(id)!;
    let cached = doc;
    let ttlSeconds: number | null = int(600, CACHE_TTL_MAX_S);
    if (cacheStale.includes(id)) {
      // Cached five days ago; the row was written again two days ago (version bumped) and the
      // entry was never invalidated. No entry may live longer than an hour: this one is a fault.
      cached = { ...doc, updatedAt: new Date(nowMs - 5 * DAY_MS) };
      doc.version += 1;
      doc.updatedAt = new Date(nowMs - 2 * DAY_MS);
      ttlSeconds = CACHE_TTL_MAX_S - 300;
    } else if (cacheDiffers.includes(id)) {
      cached = { ...doc, title: `${doc.title} (draft title)` }; // same version, different content
      ttlSeconds = CACHE_TTL_MAX_S;
    } else if (cacheNoTtl.includes(id)) {
      ttlSeconds = null; // SET without EX: lives forever
    }
    // Planted faults get the longest TTL, so they outlive the healthy entries around them and
    // the demo still shows them for the best part of an hour after seeding.
    if (cacheRowGone.includes(id)) ttlSeconds = CACHE_TTL_MAX_S;
    cache.push({ key: `${CACHE_PREFIX}${id}`, value: json(cached), ttlSeconds });
  }
  const forbiddenKeys = takeFrom([...cachedIds], 4)
    .sort(byNumber)
    .map((id) => `${FORBIDDEN_PREFIX}doc:${id}`);
  for (const key of forbiddenKeys) {
    const id = Number(key.slice(key.lastIndexOf(':') + 1));
    cache.push({ key, value: json(docById.get(id)!), ttlSeconds: null });
  }

  const liveDocuments = documents.filter((d) => !deletedDocuments.includes(d.id));
  const liveChunks = chunks.filter((c) => !removedChunks.has(c.id));
  const vectorRows = [...vectors.values()].sort((a, b) => a.id - b.id);
  return {
    documents: liveDocuments,
    chunks: liveChunks,
    vectors: vectorRows,
    cache,
    planted: {
      chunksWithoutVector,
      vectorsWithoutChunk,
      duplicateEmbeddings,
      staleContentVectors,
      staleModelVectors,
      deletedDocuments,
      orphanChunks,
      cacheStale,
      cacheDiffers,
      cacheNoTtl,
      cacheRowGone,
      forbiddenKeys,
      pendingChunks,
    },
    counts: {
      documents: liveDocuments.length,
      chunks: liveChunks.length,
      vectors: vectorRows.length,
      cacheKeys: cache.length,
    },
  };
}

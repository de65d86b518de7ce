/**
 * Writes `dbcheck init`'s proposal as a commented YAML config. Every name that came from a store is
 * written as a JSON string (valid YAML, control characters escaped), in values and in comments, so
 * store text can neither break the file nor reach a terminal raw. Secrets are never written: a
 * configured password or token becomes a commented `${VAR}` line.
 */
import type { ResolvedConfig } from '../config/load.js';
import { STORE_DESCRIPTORS } from '../stores/registry.js';
import type { KeyColumn, SampledCollection } from './discover.js';
import { collectionLayout, type Match, type MilvusProposal, type RedisProposal } from './match.js';

export interface Proposal {
  stores: ResolvedConfig['stores'];
  /** Stores that were configured but could not be read, with the reason (one line each). */
  unread: Array<{ kind: string; reason: string }>;
  keyColumns: KeyColumn[];
  collections: SampledCollection[];
  collectionsTotal: number;
  milvus: MilvusProposal[];
  redis: RedisProposal[];
  /** `matching`: the scan was limited by --redis-match, so complete means every matching key. */
  redisKeysSampled?: { keys: number; complete: boolean; patterns: number; matching?: boolean };
}

const q = (s: string) => JSON.stringify(s);
/** "1 pattern", "2 patterns". */
const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

export function renderProposal(p: Proposal, version: string): string {
  const out: string[] = [];
  const line = (s = '') => out.push(s);
  line(`# dbcheck config proposed by \`dbcheck init\` (dbcheck ${version}) from a read-only, sampled look at`);
  line('# the stores below. Review it: a match means most sampled values agree, not that the app meant it.');
  line('#   dbcheck validate -c dbcheck.yml --connect   then   dbcheck audit -c dbcheck.yml');
  for (const u of p.unread) line(`# NOT READ: ${u.kind}: ${oneLine(u.reason)}`);
  line();
  renderStores(p.stores, line);

  const frameworks = frameworkNotes(p);
  if (frameworks.length) {
    line();
    line('# Recognised layouts:');
    for (const f of frameworks) line(`#   ${f}`);
  }

  line();
  line('checks:');
  line('  health: {}');
  const mappings = p.milvus.filter((m) => m.isPrimaryKey);
  const relations = p.milvus.filter((m) => !m.isPrimaryKey);
  if (mappings.length) {
    line();
    line('  # Does every row have its vector, and every vector its row? (primary keys that match a key column)');
    line('  reference-integrity:');
    line('    mappings:');
    for (const m of mappings) {
      line(`      # ${evidence(`${m.collection.name}.${m.field} (${m.dataType})`, m.match)}`);
      const preset = presetOf(m);
      if (preset) {
        line('      # LangChain record manager: one record per vector (`dbcheck validate --print` shows the expansion).');
        line(`      - { ${preset} }`);
        continue;
      }
      line('      # If only some rows should have a vector (not embedded yet), add a where: to postgres.');
      line(`      - name: ${q(`${tableName(m.match.column)} -> ${m.collection.name}`)}`);
      line(`        postgres: { ${postgresSide(m.match, 'key')} }`);
      line(`        milvus: { collection: ${q(m.collection.name)} }`);
    }
  }
  if (relations.length || p.redis.length) {
    line();
    line('  # Do children still have their parent? (fields and key patterns whose values are parent keys)');
    line('  orphan-scan:');
    if (relations.length) {
      line('    milvus:');
      for (const m of relations) {
        line(`      # ${evidence(`${m.collection.name}.${m.field} (${m.dataType})`, m.match)}`);
        const preset = presetOf(m);
        if (preset) {
          line('      # LlamaIndex: nodes whose source document is gone from the docstore (`dbcheck validate --print` expands it).');
          line(`      - { ${preset} }`);
          continue;
        }
        line(`      - name: ${q(`${m.collection.name}.${m.field} -> ${tableName(m.match.column)}`)}`);
        line(`        collection: ${q(m.collection.name)}`);
        line(`        field: ${q(m.path ?? m.field)}`);
        line(`        parent: { ${postgresSide(m.match, 'column')} }`);
      }
    }
    if (p.redis.length) {
      line('    redis:');
      for (const r of p.redis) {
        line(`      # ${evidence(`${r.pattern.keys} sampled keys like ${q(r.pattern.pattern)}`, r.match)}`);
        line(`      - name: ${q(`${r.pattern.pattern} -> ${tableName(r.match.column)}`)}`);
        line(`        pattern: ${q(r.pattern.pattern)}`);
        line(`        parent: { ${postgresSide(r.match, 'column')} }`);
      }
      line('    # If these keys cache rows, cache-drift can compare them with Postgres: see docs/checks/cache-drift.md.');
    }
  }
  const freshness = p.milvus.map(presetOf).filter((x): x is string => x !== undefined);
  if (freshness.length) {
    line();
    line('  # Documents edited after they were indexed: name your documents table, its key (as the framework');
    line('  # names the document) and its updated_at (LangChain) or content-hash (LlamaIndex) column, then uncomment.');
    line('  # See docs/checks/index-freshness.md.');
    line('  # index-freshness:');
    line('  #   documents:');
    for (const preset of freshness) {
      const source = preset.startsWith('preset: langchain') ? 'key: source, updatedAt: updated_at' : 'key: id, hash: content_hash';
      line(`  #     - { ${preset}, source: { table: documents, ${source} } }`);
    }
  }
  if (!mappings.length && !relations.length && !p.redis.length) {
    line('  # No Milvus field or Redis key pattern matched a Postgres key column in the samples;');
    line('  # see docs/checks/reference-integrity.md and docs/checks/orphan-scan.md to write mappings by hand.');
  }
  line();
  const r = p.redisKeysSampled;
  const redisScope = r && (!r.complete ? 'a SCAN sample' : r.matching ? 'every key --redis-match matches' : 'the whole keyspace');
  line(
    `# Looked at: ${count(p.keyColumns.length, 'Postgres key column')}; ${p.collections.length} of ${count(p.collectionsTotal, 'Milvus collection')}` +
      (r ? `; ${count(r.keys, 'Redis key')} (${redisScope}, ${count(r.patterns, 'pattern')})` : '') +
      '.',
  );
  return `${out.join('\n')}\n`;
}

/** Each configured store's section as its descriptor describes it (no secrets), in report order. */
function renderStores(stores: ResolvedConfig['stores'], line: (s?: string) => void): void {
  line('stores:');
  for (const d of STORE_DESCRIPTORS) {
    const config = stores[d.kind];
    if (!config) continue;
    const { fields, secretHint } = d.describe(config);
    line(`  ${d.kind}: { ${fields.join(', ')} }`);
    if (secretHint) line(`  #   ${secretHint}`);
  }
}

/**
 * The preset line for a framework layout at its defaults (issue 14): LangChain's record manager
 * (namespace `milvus/<collection>`) matched by the collection's pk, or LlamaIndex's docstore
 * (namespace `docstore/data`) matched by the nodes' doc_id; undefined for anything else, which is
 * then written out in full.
 */
export function presetOf(m: MilvusProposal): string | undefined {
  const c = m.match.column;
  const table = (defaultName: string) =>
    [c.schema !== 'public' ? `schema: ${q(c.schema)}` : '', c.table !== defaultName ? `table: ${q(c.table)}` : ''].filter(Boolean);
  if (c.framework === 'langchain' && m.isPrimaryKey && m.field === 'pk' && m.match.namespace === `milvus/${m.collection.name}`) {
    const t = table('upsertion_record');
    return `preset: langchain, collection: ${q(m.collection.name)}${t.length ? `, recordManager: { ${t.join(', ')} }` : ''}`;
  }
  if (c.framework === 'llamaindex' && !m.isPrimaryKey && m.field === 'doc_id' && !m.path && m.match.namespace === 'docstore/data') {
    const t = table('data_docstore');
    return `preset: llamaindex, collection: ${q(m.collection.name)}${t.length ? `, docstore: { ${t.join(', ')} }` : ''}`;
  }
  return undefined;
}

function tableName(c: KeyColumn): string {
  return c.schema === 'public' ? c.table : `${c.schema}.${c.table}`;
}

/** `schema: .., table: .., key|column: ..` and the namespace filter of a framework table. */
function postgresSide(m: Match, keyName: 'key' | 'column'): string {
  const c = m.column;
  const parts = [`schema: ${q(c.schema)}`, `table: ${q(c.table)}`, `${keyName}: ${q(c.column)}`];
  if (c.namespaceColumn && m.namespace !== undefined) {
    // Identifier and literal quoted for SQL, the whole condition then quoted for YAML.
    parts.push(`where: ${q(`"${c.namespaceColumn.replaceAll('"', '""')}" = '${m.namespace.replaceAll("'", "''")}'`)}`);
  }
  return parts.join(', ');
}

function evidence(what: string, m: Match): string {
  return oneLine(
    `${what}: ${m.hits} of ${m.sampled} sampled values are in ${tableName(m.column)}.${m.column.column} (${m.column.type})` +
      (m.namespace ? ` with ${m.column.namespaceColumn} = ${q(m.namespace)}` : ''),
  );
}

function frameworkNotes(p: Proposal): string[] {
  const notes: string[] = [];
  for (const c of p.keyColumns) {
    if (c.framework === 'langchain')
      notes.push(`LangChain record manager table ${q(tableName(c))} (SQLRecordManager: key = the vector's pk, per namespace)`);
    if (c.framework === 'llamaindex')
      notes.push(`LlamaIndex docstore table ${q(tableName(c))} (PostgresDocumentStore: documents in namespace .../data)`);
  }
  for (const c of p.collections) {
    const layout = collectionLayout(c);
    if (layout === 'langchain')
      notes.push(
        `LangChain collection ${q(c.name)} (pk, text, vector${c.dynamicField ? ', metadata in $meta' : ', metadata as scalar fields'})`,
      );
    if (layout === 'llamaindex')
      notes.push(`LlamaIndex collection ${q(c.name)} (id, doc_id, text, embedding; node ids never reach Postgres)`);
  }
  return notes;
}

/** Comments are one line: no newline or control character from a store may end them early. */
function oneLine(s: string): string {
  return s.replace(/[\p{Cc}\u2028\u2029]/gu, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

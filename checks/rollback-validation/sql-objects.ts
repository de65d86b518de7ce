/**
 * Which named objects a statement creates or drops, as schema-snapshot keys (see
 * schema-snapshot.ts): "table app.users", "index app.users_email_idx", "function app.touch(" …
 * Read from the statement's comment-free `code` (sql-split.ts). Both the static up/down analysis
 * (static-analysis.ts) and the dry-run (dry-run.ts) ask "does the down undo what the up creates?"
 * with these.
 */
import { readQualifiedName, type QualifiedName } from './sql-classify.js';
import { splitTopLevel } from './sql-split.js';

export interface ObjectRef {
  /** Snapshot key. Functions end in "(": they match every overload (arguments are not parsed). */
  key: string;
  /** The table key ("table s.t") for objects that go when their table goes (columns, indexes, …). */
  table?: string;
  schema: string;
  /** Bare name, to look for in earlier migrations' text. */
  name: string;
  /** IF NOT EXISTS or OR REPLACE: the object may have existed before the statement ran. */
  mayPreexist?: boolean;
}

const ident = (n: QualifiedName, defaultSchema: string) => ({ schema: n.schema ?? defaultSchema, name: n.name });

function ref(kind: string, n: QualifiedName, defaultSchema: string, extra: Partial<ObjectRef> = {}): ObjectRef {
  const { schema, name } = ident(n, defaultSchema);
  return { key: kind === 'function' ? `function ${schema}.${name}(` : `${kind} ${schema}.${name}`, schema, name, ...extra };
}

/** A list of names ("a, s.b CASCADE") after a DROP keyword. */
function names(list: string): QualifiedName[] {
  return splitTopLevel(list.replace(/\s+(CASCADE|RESTRICT)\s*$/i, ''), ',').flatMap((item) => {
    const r = readQualifiedName(item);
    return r ? [r.name] : [];
  });
}

/** Objects on a table: `<kind> <name> ON <table>` (triggers, policies, rules). */
function onTable(kind: string, rest: string, defaultSchema: string, extra: Partial<ObjectRef> = {}): ObjectRef[] {
  const obj = readQualifiedName(rest);
  const on = obj && /\bON\s+(ONLY\s+)?/i.exec(obj.rest);
  const table = on ? readQualifiedName(obj.rest.slice(on.index + on[0].length)) : undefined;
  if (!obj || !table) return [];
  const t = ident(table.name, defaultSchema);
  return [
    {
      key: `${kind} ${t.schema}.${t.name}.${obj.name.name}`,
      table: `table ${t.schema}.${t.name}`,
      schema: t.schema,
      name: obj.name.name,
      ...extra,
    },
  ];
}

const CREATE_SIMPLE: Array<[RegExp, string]> = [
  [/^CREATE\s+((GLOBAL|LOCAL)\s+)?((TEMP|TEMPORARY|UNLOGGED)\s+)?TABLE\s+(IF\s+NOT\s+EXISTS\s+)?/i, 'table'],
  [/^CREATE\s+MATERIALIZED\s+VIEW\s+(IF\s+NOT\s+EXISTS\s+)?/i, 'materialized view'],
  [/^CREATE\s+(OR\s+REPLACE\s+)?((TEMP|TEMPORARY)\s+)?(RECURSIVE\s+)?VIEW\s+/i, 'view'],
  [/^CREATE\s+((TEMP|TEMPORARY|UNLOGGED)\s+)?SEQUENCE\s+(IF\s+NOT\s+EXISTS\s+)?/i, 'sequence'],
  [/^CREATE\s+(TYPE|DOMAIN)\s+/i, 'type'],
  [/^CREATE\s+(OR\s+REPLACE\s+)?(FUNCTION|PROCEDURE)\s+/i, 'function'],
];

/** The named objects a statement creates. Unqualified names go to `defaultSchema`. */
export function createdObjects(code: string, defaultSchema: string): ObjectRef[] {
  let m: RegExpExecArray | null;
  const mayPreexist = /\bOR\s+REPLACE\b|\bIF\s+NOT\s+EXISTS\b/i.test(code.slice(0, 80)) ? { mayPreexist: true } : {};
  for (const [re, kind] of CREATE_SIMPLE) {
    if ((m = re.exec(code))) {
      const r = readQualifiedName(code.slice(m[0].length));
      return r ? [ref(kind, r.name, defaultSchema, mayPreexist)] : [];
    }
  }
  if ((m = /^CREATE\s+EXTENSION\s+(IF\s+NOT\s+EXISTS\s+)?/i.exec(code))) {
    const r = readQualifiedName(code.slice(m[0].length));
    return r ? [{ key: `extension ${r.name.name}`, schema: defaultSchema, name: r.name.name, ...mayPreexist }] : [];
  }
  if ((m = /^CREATE\s+(UNIQUE\s+)?INDEX\s+(CONCURRENTLY\s+)?(IF\s+NOT\s+EXISTS\s+)?/i.exec(code))) {
    const rest = code.slice(m[0].length);
    if (/^ON\b/i.test(rest)) return []; // unnamed: the server picks the name
    const idx = readQualifiedName(rest);
    const on = idx && /^ON\s+(ONLY\s+)?/i.exec(idx.rest);
    const table = on ? readQualifiedName(idx.rest.slice(on[0].length)) : undefined;
    if (!idx || !table) return [];
    const t = ident(table.name, defaultSchema);
    return [
      {
        key: `index ${t.schema}.${idx.name.name}`,
        table: `table ${t.schema}.${t.name}`,
        schema: t.schema,
        name: idx.name.name,
        ...mayPreexist,
      },
    ];
  }
  if ((m = /^CREATE\s+(OR\s+REPLACE\s+)?(CONSTRAINT\s+)?TRIGGER\s+/i.exec(code)))
    return onTable('trigger', code.slice(m[0].length), defaultSchema, mayPreexist);
  if ((m = /^CREATE\s+POLICY\s+/i.exec(code))) return onTable('policy', code.slice(m[0].length), defaultSchema);
  if ((m = /^ALTER\s+TABLE\s+(IF\s+EXISTS\s+)?(ONLY\s+)?/i.exec(code))) {
    const t = readQualifiedName(code.slice(m[0].length));
    if (!t) return [];
    const { schema, name: tableName } = ident(t.name, defaultSchema);
    const table = `table ${schema}.${tableName}`;
    const out: ObjectRef[] = [];
    for (const action of splitTopLevel(t.rest.replace(/^\*\s*/, ''), ',')) {
      const add = /^ADD\s+/i.exec(action);
      if (!add) continue;
      const rest = action.slice(add[0].length);
      const con = /^CONSTRAINT\s+/i.exec(rest);
      if (con) {
        const c = readQualifiedName(rest.slice(con[0].length));
        if (c) out.push({ key: `constraint ${schema}.${tableName}.${c.name.name}`, table, schema, name: c.name.name });
      } else if (!/^(PRIMARY|UNIQUE|FOREIGN|CHECK|EXCLUDE)\b/i.test(rest)) {
        const ifNotExists = /^(COLUMN\s+)?IF\s+NOT\s+EXISTS\s+/i.test(rest);
        const col = readQualifiedName(rest.replace(/^COLUMN\s+/i, '').replace(/^IF\s+NOT\s+EXISTS\s+/i, ''));
        if (col)
          out.push({
            key: `column ${schema}.${tableName}.${col.name.name}`,
            table,
            schema,
            name: col.name.name,
            ...(ifNotExists ? { mayPreexist: true } : {}),
          });
      }
    }
    return out;
  }
  return [];
}

const DROP_SIMPLE: Array<[RegExp, string]> = [
  [/^DROP\s+(FOREIGN\s+)?TABLE\s+(IF\s+EXISTS\s+)?/i, 'table'],
  [/^DROP\s+MATERIALIZED\s+VIEW\s+(IF\s+EXISTS\s+)?/i, 'materialized view'],
  [/^DROP\s+VIEW\s+(IF\s+EXISTS\s+)?/i, 'view'],
  [/^DROP\s+SEQUENCE\s+(IF\s+EXISTS\s+)?/i, 'sequence'],
  [/^DROP\s+(TYPE|DOMAIN)\s+(IF\s+EXISTS\s+)?/i, 'type'],
  [/^DROP\s+INDEX\s+(CONCURRENTLY\s+)?(IF\s+EXISTS\s+)?/i, 'index'],
  [/^DROP\s+(FUNCTION|PROCEDURE|ROUTINE)\s+(IF\s+EXISTS\s+)?/i, 'function'],
];

/** The named objects a statement drops; `schema <name>` for DROP SCHEMA (everything in it goes). */
export function droppedObjects(code: string, defaultSchema: string): ObjectRef[] {
  let m: RegExpExecArray | null;
  for (const [re, kind] of DROP_SIMPLE) {
    if ((m = re.exec(code))) {
      // DROP FUNCTION a(int), b(text): drop the argument lists before splitting the names.
      const list = kind === 'function' ? code.slice(m[0].length).replace(/\([^()]*\)/g, '') : code.slice(m[0].length);
      return names(list).map((n) => ref(kind, n, defaultSchema));
    }
  }
  if ((m = /^DROP\s+EXTENSION\s+(IF\s+EXISTS\s+)?/i.exec(code)))
    return names(code.slice(m[0].length)).map((n) => ({ key: `extension ${n.name}`, schema: defaultSchema, name: n.name }));
  if ((m = /^DROP\s+SCHEMA\s+(IF\s+EXISTS\s+)?/i.exec(code)))
    return names(code.slice(m[0].length)).map((n) => ({ key: `schema ${n.name}`, schema: n.name, name: n.name }));
  if ((m = /^DROP\s+TRIGGER\s+(IF\s+EXISTS\s+)?/i.exec(code))) return onTable('trigger', code.slice(m[0].length), defaultSchema);
  if ((m = /^DROP\s+POLICY\s+(IF\s+EXISTS\s+)?/i.exec(code))) return onTable('policy', code.slice(m[0].length), defaultSchema);
  if ((m = /^ALTER\s+TABLE\s+(IF\s+EXISTS\s+)?(ONLY\s+)?/i.exec(code))) {
    const t = readQualifiedName(code.slice(m[0].length));
    if (!t) return [];
    const { schema, name: tableName } = ident(t.name, defaultSchema);
    const out: ObjectRef[] = [];
    for (const action of splitTopLevel(t.rest.replace(/^\*\s*/, ''), ',')) {
      const d = /^DROP\s+(COLUMN\s+|CONSTRAINT\s+)?(IF\s+EXISTS\s+)?/i.exec(action);
      if (!d) continue;
      const n = readQualifiedName(action.slice(d[0].length));
      if (!n) continue;
      const kind = /^CONSTRAINT/i.test(d[1] ?? '') ? 'constraint' : 'column';
      out.push({ key: `${kind} ${schema}.${tableName}.${n.name.name}`, table: `table ${schema}.${tableName}`, schema, name: n.name.name });
    }
    return out;
  }
  return [];
}

/**
 * Statements that may drop or create objects in ways the text does not show (DO blocks, function
 * calls, dynamic SQL, DROP OWNED): a script holding one is not judged statically (no false alarm).
 */
export function isOpaque(code: string): boolean {
  return /^(DO\b|SELECT\b|CALL\b|EXECUTE\b|PERFORM\b|DROP\s+OWNED\b|\\)/i.test(code);
}

/** Whether `dropped` (a down script's drops) removes `obj`: by key, by its table or by its schema. */
export function isDroppedBy(obj: ObjectRef, dropped: readonly ObjectRef[]): boolean {
  return dropped.some((d) => d.key === obj.key || (obj.table !== undefined && d.key === obj.table) || d.key === `schema ${obj.schema}`);
}

/** Whether a snapshot holds the object (functions by name, any overload). */
export function snapshotHas(snapshot: ReadonlyMap<string, string>, obj: ObjectRef): boolean {
  if (!obj.key.endsWith('(')) return snapshot.has(obj.key);
  for (const k of snapshot.keys()) if (k.startsWith(obj.key)) return true;
  return false;
}

export interface ScriptEffects {
  /** Objects the script leaves created (created and not dropped again later in the script). */
  created: ObjectRef[];
  dropped: ObjectRef[];
  /** The script holds a statement whose effects the text does not show (see isOpaque). */
  opaque: boolean;
}

/**
 * What a script creates and drops, in order. `DROP … IF EXISTS x; CREATE x` (the replace pattern)
 * creates x only maybe: x may have existed before, so it is marked mayPreexist.
 */
export function scriptEffects(codes: readonly string[], defaultSchema: string): ScriptEffects {
  const created = new Map<string, ObjectRef>();
  const dropped: ObjectRef[] = [];
  let opaque = false;
  for (const code of codes) {
    if (isOpaque(code)) opaque = true;
    for (const d of droppedObjects(code, defaultSchema)) {
      dropped.push(d);
      created.delete(d.key);
    }
    for (const c of createdObjects(code, defaultSchema)) {
      const replaced = dropped.some((d) => d.key === c.key);
      created.set(c.key, replaced ? { ...c, mayPreexist: true } : c);
    }
  }
  return { created: [...created.values()], dropped, opaque };
}

/** What the migrations before some point could have created: every word of their SQL, and whether any is code. */
export interface EarlierMigrations {
  /** Lower-cased words (identifiers) of their up scripts. */
  words: Set<string>;
  hasCode: boolean;
}

/** Adds one migration's up script (undefined for code dbcheck cannot read) to `earlier`. */
export function addEarlier(earlier: EarlierMigrations, upSql: string | undefined): void {
  if (upSql === undefined) earlier.hasCode = true;
  else for (const w of upSql.toLowerCase().match(/[a-z0-9_$\u0080-\uffff]+/g) ?? []) earlier.words.add(w);
}

/**
 * Whether a down script must have removed `obj`, which its up script creates. An object that may
 * have existed before (IF NOT EXISTS, OR REPLACE, the replace pattern) must go only when no earlier
 * migration could have made it: none names it, and none is code dbcheck cannot read.
 */
export function downMustRemove(obj: ObjectRef, earlier: EarlierMigrations): boolean {
  if (!obj.mayPreexist) return true;
  return !earlier.hasCode && !earlier.words.has(obj.name.toLowerCase());
}

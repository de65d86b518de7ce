/** Turns schema validation failures into one-line, human messages with a path and a did-you-mean. */
import { didYouMean } from './suggest.js';

export type ConfigPath = Array<string | number>;

export interface ConfigIssue {
  /** e.g. checks.cache-drift.mappings[0].redis.pattern */
  path: string;
  message: string;
  /** "file:line:col" when the file is known. */
  location?: string;
}

export function formatPath(path: ConfigPath): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${p}` : p;
  return out || '(root)';
}

export function formatIssue(i: ConfigIssue): string {
  // A file-level problem (bad YAML) has the file name as its path: don't say it twice.
  if (i.location && i.location.startsWith(`${i.path}:`)) return `${i.location}: ${i.message}`;
  return `${i.location ? `${i.location}: ` : ''}${i.path}: ${i.message}`;
}

interface ZodLikeIssue {
  code: string;
  path: PropertyKey[];
  message: string;
  keys?: string[];
  expected?: string;
  values?: unknown[];
}

/** Keys an object schema accepts at `path` (walking zod 4 internals); empty when unknown. */
export function knownKeysAt(schema: unknown, path: ConfigPath): string[] {
  let node = schema as { _zod?: { def: Record<string, any> } } | undefined;
  const unwrap = () => {
    for (let guard = 0; node?._zod && guard < 20; guard++) {
      const def = node._zod.def;
      if (['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch', 'nonoptional'].includes(def.type)) node = def.innerType;
      else if (def.type === 'pipe') node = def.in;
      else if (def.type === 'lazy') node = def.getter();
      else break;
    }
  };
  unwrap();
  for (const p of path) {
    const def = node?._zod?.def;
    if (!def) return [];
    if (def.type === 'object') node = def.shape[p as string];
    else if (def.type === 'array') node = def.element;
    else if (def.type === 'record') node = def.valueType;
    else if (def.type === 'union')
      node = def.options.find((o: any) => o?._zod?.def?.type === 'object' && p in o._zod.def.shape) ?? def.options[0];
    else return [];
    unwrap();
  }
  const def = node?._zod?.def;
  if (def?.type === 'union') {
    return def.options.flatMap((o: any) => (o?._zod?.def?.type === 'object' ? Object.keys(o._zod.def.shape) : []));
  }
  return def?.type === 'object' ? Object.keys(def.shape) : [];
}

/** Converts a zod error into ConfigIssues, with paths prefixed by `prefix`. */
export function zodIssues(
  error: unknown,
  schema: unknown,
  prefix: ConfigPath,
  locate?: (p: ConfigPath) => string | undefined,
): ConfigIssue[] {
  const issues = ((error as { issues?: ZodLikeIssue[] })?.issues ?? []) as ZodLikeIssue[];
  if (!issues.length) return [{ path: formatPath(prefix), message: String((error as Error)?.message ?? error) }];
  const out: ConfigIssue[] = [];
  for (const issue of issues) {
    const rel = issue.path.map((p) => (typeof p === 'number' ? p : String(p)));
    if (issue.code === 'unrecognized_keys' && issue.keys) {
      const known = knownKeysAt(schema, rel);
      for (const key of issue.keys) {
        const full = [...prefix, ...rel, key];
        out.push({
          path: formatPath(full),
          message: `unknown key${didYouMean(key, known)}${known.length ? `; expected one of: ${known.join(', ')}` : ''}`,
          location: locate?.(full),
        });
      }
      continue;
    }
    const full = [...prefix, ...rel];
    out.push({ path: formatPath(full), message: humanMessage(issue), location: locate?.(full) });
  }
  return out;
}

function humanMessage(issue: ZodLikeIssue): string {
  const m = issue.message;
  // zod's "Invalid input: expected string, received undefined" -> "required (a string)"
  const missing = /expected (\w+), received undefined/.exec(m);
  if (missing) return `required (expected ${missing[1]})`;
  if (/expected int, received number/.test(m)) return 'must be a whole number';
  // "Too big: expected number to be <=32" -> "must be at most 32"
  const bound = /^Too (big|small): expected \w+ to (?:be|have) ([<>]=?)(\S+)/.exec(m);
  if (bound) return `must be ${{ '<=': 'at most', '>=': 'at least', '<': 'less than', '>': 'more than' }[bound[2]]} ${bound[3]}`;
  return m.replace(/^Invalid input: /, '');
}

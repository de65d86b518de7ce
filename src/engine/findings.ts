/**
 * Collects one check's findings: resolves severity (config override, else the code's default),
 * keeps exact counts and only N findings, so memory stays flat on millions of findings. The N kept
 * are the most severe ones (then in report order): a flood of warnings never pushes an error out.
 */
import { createHash } from 'node:crypto';
import type { Check, FindingInput, Severity } from '../plugin.js';
import { redact, redactDeep } from '../redact.js';
import type { Finding, SeverityCounts } from './result.js';

export class UndeclaredCodeError extends Error {
  readonly code = 'INTERNAL';
}

export class FindingCollector {
  readonly counts: SeverityCounts = { error: 0, warn: 0, info: 0 };
  readonly countsByCode: Record<string, number> = {};
  truncated = false;
  /** Kept findings, one list per severity, each in report order; together at most maxFindings. */
  private readonly kept: Record<Severity, Finding[]> = { error: [], warn: [], info: [] };
  private keptCount = 0;

  constructor(
    private readonly check: Check,
    private readonly severityOverrides: Record<string, Severity | 'off'>,
    private readonly maxFindings: number,
    /** The config's secrets: a finding's message or data may quote one. */
    private readonly secrets: readonly string[] = [],
  ) {}

  report(input: FindingInput): void {
    const declared = this.check.meta.codes[input.code];
    if (!declared) {
      // A programming error in the check: the conformance tests catch it before users do.
      throw new UndeclaredCodeError(`finding code "${input.code}" is not declared in meta.codes`);
    }
    const override = this.severityOverrides[input.code];
    if (override === 'off') return;
    const severity = override ?? declared.severity;
    this.counts[severity]++;
    this.countsByCode[input.code] = (this.countsByCode[input.code] ?? 0) + 1;
    if (this.keptCount >= this.maxFindings) {
      this.truncated = true;
      // Full: a more severe finding takes the place of the latest one of the least severe kind.
      const victim = LEAST_SEVERE_FIRST.find((s) => SEVERITY_RANK[s] < SEVERITY_RANK[severity] && this.kept[s].length > 0);
      if (!victim) return;
      this.kept[victim].pop();
      this.keptCount--;
    }
    let message = input.message;
    if (message === undefined) {
      try {
        message = declared.message(input.data ?? {});
      } catch {
        message = input.code;
      }
    }
    const finding: Finding = {
      checkId: this.check.meta.id,
      code: input.code,
      severity,
      message: redact(oneLine(message), this.secrets),
      fingerprint: fingerprint(this.check.meta.id, input),
    };
    if (input.subject) finding.subject = redactDeep(input.subject, this.secrets);
    if (input.data) finding.data = redactDeep(jsonSafe(input.data) as Record<string, unknown>, this.secrets);
    this.kept[severity].push(finding);
    this.keptCount++;
  }

  /** The kept findings: errors first, then warnings, then info; report order within each. */
  get findings(): Finding[] {
    return [...this.kept.error, ...this.kept.warn, ...this.kept.info];
  }
}

const SEVERITY_RANK: Record<Severity, number> = { info: 0, warn: 1, error: 2 };
const LEAST_SEVERE_FIRST: Severity[] = ['info', 'warn', 'error'];

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}

/** Stable across runs: check, code and subject only (not the message, which may carry numbers). */
function fingerprint(checkId: string, f: FindingInput): string {
  const s = f.subject ?? {};
  return createHash('sha256')
    .update([checkId, f.code, s.store ?? '', s.object ?? '', s.key ?? ''].join('\u0000'))
    .digest('hex')
    .slice(0, 16);
}

/** BigInt and Buffer values become strings so the report is always valid JSON. */
export function jsonSafe(v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(jsonSafe);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = jsonSafe(x);
    return out;
  }
  return v;
}

/** Statements shown in findings: on one line, bounded, with password literals masked. */
export function statementForDisplay(sql: string, max = 300): string {
  const t = sql
    .replace(/\b(PASSWORD)\s+('(?:[^']|'')*'|\$[^$]*\$[\s\S]*?\$[^$]*\$)/gi, "$1 '***'")
    .replace(/\s+/g, ' ')
    .trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

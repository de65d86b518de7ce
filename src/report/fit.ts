/**
 * Fitting the terminal reporter to a width. A box table wider than the terminal wraps into broken
 * boxes, so a table that does not fit drops its empty columns, and if it still does not fit it is
 * shown as one block per row ("column  value" lines), which fits any width. Long lines (finding
 * messages) wrap with a hanging indent. Widths are measured without colour codes.
 */
import { stripVTControlCharacters } from 'node:util';
import Table from 'cli-table3';

/** Columns a string takes on a terminal (colour codes excluded; one column per code point). */
export function visibleWidth(s: string): number {
  return [...stripVTControlCharacters(s)].length;
}

const PLAIN = { style: { head: [] as string[], border: [] as string[] } };

/**
 * A box table when it fits in `width` (undefined: any width), else a vertical layout. `head` may be
 * coloured; cells are plain, already escaped text. Returns the lines, each indented by `indent`.
 */
export function fitTable(head: string[], rows: string[][], width: number | undefined, indent = ''): string[] {
  const boxed = (h: string[], r: string[][]) => {
    const t = new Table({ ...PLAIN, head: h });
    for (const row of r) t.push(row);
    return t
      .toString()
      .split('\n')
      .map((l) => indent + l);
  };
  const fits = (lines: string[]) => width === undefined || lines.every((l) => visibleWidth(l) <= width);
  const full = boxed(head, rows);
  if (fits(full)) return full;
  // Columns empty in every row say nothing: drop them first.
  const keep = head.map((_, i) => rows.some((r) => (r[i] ?? '') !== ''));
  const pick = <T>(xs: T[]) => xs.filter((_, i) => keep[i]);
  const narrowed = boxed(pick(head), rows.map(pick));
  if (fits(narrowed)) return narrowed;
  return vertical(head, rows, width!, indent);
}

/**
 * One block per row: its first cell as the heading, then "column  value" for every non-empty cell.
 * Values too long for the line wrap under themselves.
 */
function vertical(head: string[], rows: string[][], width: number, indent: string): string[] {
  const labels = head.map((h) => stripVTControlCharacters(h));
  const labelWidth = Math.max(...labels.slice(1).map((l) => [...l].length), 0);
  const out: string[] = [];
  for (const row of rows) {
    out.push(...wrap(`${labels[0]} ${row[0] ?? ''}`, width, indent, `${indent}  `));
    for (let i = 1; i < head.length; i++) {
      const value = row[i] ?? '';
      if (value === '') continue;
      const first = `${indent}  ${labels[i].padEnd(labelWidth)}  `;
      out.push(...wrap(value, width, first, ' '.repeat(visibleWidth(first))));
    }
  }
  return out;
}

/**
 * `text` after `first` on the first line and after `rest` on the next ones, cut to `width` columns
 * (at a space when there is one in the last third of the line). Undefined width: one line.
 */
export function wrap(text: string, width: number | undefined, first = '', rest = first): string[] {
  const line = first + text;
  if (width === undefined || visibleWidth(line) <= width) return [line];
  const lines: string[] = [];
  let prefix = first;
  let remaining = [...text];
  while (remaining.length) {
    // At least 10 characters per line, so a very narrow terminal still makes progress.
    const room = Math.max(10, width - visibleWidth(prefix));
    if (visibleWidth(remaining.join('')) <= room) {
      lines.push(prefix + remaining.join(''));
      break;
    }
    let cut = room;
    const space = remaining.slice(0, room + 1).lastIndexOf(' ');
    if (space > room * (2 / 3)) cut = space;
    lines.push(prefix + remaining.slice(0, cut).join('').trimEnd());
    remaining = remaining.slice(cut);
    while (remaining[0] === ' ') remaining.shift();
    prefix = rest;
  }
  return lines;
}

/**
 * Splits a migration script into statements, the way the server would read them: a `;` ends a
 * statement only outside quotes ('…', E'…', "…"), dollar quotes ($$…$$, $tag$…$tag$), comments
 * (-- and nested /* *\/) and SQL-standard function bodies (BEGIN ATOMIC … END).
 *
 * Each statement comes back twice: `text` as written (for messages and for running it) and `code`
 * with comments removed and whitespace collapsed (for the classifiers to match keywords against).
 */

export interface SqlStatement {
  /** The statement as written, from its first token up to (not including) the `;`. */
  text: string;
  /** Comments removed, runs of whitespace outside literals collapsed to one space. */
  code: string;
  /** 1-based line of the statement's first token in the script. */
  line: number;
}

const WORD_START = /[A-Za-z_\u0080-\uffff]/;
const WORD_CHAR = /[A-Za-z0-9_$\u0080-\uffff]/;
const DOLLAR_TAG = /\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/y;

/** End index (exclusive) of a quoted run starting at `i` (the opening quote). */
function endOfQuoted(sql: string, i: number, quote: string, backslashEscapes = false): number {
  let j = i + 1;
  while (j < sql.length) {
    const c = sql[j];
    if (backslashEscapes && c === '\\') {
      j += 2;
      continue;
    }
    if (c === quote) {
      if (sql[j + 1] === quote) {
        j += 2; // doubled quote = escaped quote
        continue;
      }
      return j + 1;
    }
    j++;
  }
  return sql.length; // unterminated: the rest of the script is the literal
}

/** End index of a dollar-quoted body whose opening tag starts at `i`, or -1 if `i` opens none. */
function endOfDollarQuote(sql: string, i: number): number {
  if (i > 0 && WORD_CHAR.test(sql[i - 1])) return -1; // `a$b$` is an identifier, `$1` a parameter
  DOLLAR_TAG.lastIndex = i;
  const m = DOLLAR_TAG.exec(sql);
  if (!m) return -1;
  const close = sql.indexOf(m[0], i + m[0].length);
  return close < 0 ? sql.length : close + m[0].length;
}

/** End index of a block comment starting at `i` ("/*"); block comments nest in Postgres. */
function endOfBlockComment(sql: string, i: number): number {
  let depth = 0;
  let j = i;
  while (j < sql.length) {
    if (sql.startsWith('/*', j)) {
      depth++;
      j += 2;
    } else if (sql.startsWith('*/', j)) {
      depth--;
      j += 2;
      if (depth === 0) return j;
    } else j++;
  }
  return sql.length;
}

function countNewlines(s: string, from: number, to: number): number {
  let n = 0;
  for (let k = from; k < to; k++) if (s.charCodeAt(k) === 10) n++;
  return n;
}

export function splitSqlStatements(sql: string): SqlStatement[] {
  const out: SqlStatement[] = [];
  let code = '';
  let pendingSpace = false;
  let textStart = -1;
  let stmtLine = 1;
  let line = 1;
  let lineCountedTo = 0; // `line` is the line of index `lineCountedTo`
  // BEGIN ATOMIC … END bodies (CREATE FUNCTION … BEGIN ATOMIC) hold semicolons of their own.
  let atomic = false;
  let caseDepth = 0;
  let prevWord = '';

  const lineAt = (idx: number) => {
    line += countNewlines(sql, lineCountedTo, idx);
    lineCountedTo = idx;
    return line;
  };
  const emit = (start: number, piece: string) => {
    if (textStart < 0) {
      textStart = start;
      stmtLine = lineAt(start);
    }
    if (pendingSpace && code) code += ' ';
    pendingSpace = false;
    code += piece;
  };
  const finish = (end: number) => {
    if (textStart >= 0 && code.trim()) out.push({ text: sql.slice(textStart, end).trim(), code: code.trim(), line: stmtLine });
    code = '';
    pendingSpace = false;
    textStart = -1;
    atomic = false;
    caseDepth = 0;
    prevWord = '';
  };

  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    if (c === '-' && sql[i + 1] === '-') {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? sql.length : nl;
      pendingSpace = true;
    } else if (c === '/' && sql[i + 1] === '*') {
      i = endOfBlockComment(sql, i);
      pendingSpace = true;
    } else if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\uFEFF') {
      pendingSpace = true;
      i++;
    } else if (c === "'") {
      const escapes = /^[Ee]$/.test(prevWord) && code.endsWith(prevWord) && !pendingSpace;
      const end = endOfQuoted(sql, i, "'", escapes);
      emit(i, sql.slice(i, end));
      prevWord = '';
      i = end;
    } else if (c === '"') {
      const end = endOfQuoted(sql, i, '"');
      emit(i, sql.slice(i, end));
      prevWord = '';
      i = end;
    } else if (c === '$' && endOfDollarQuote(sql, i) > 0) {
      const end = endOfDollarQuote(sql, i);
      emit(i, sql.slice(i, end));
      prevWord = '';
      i = end;
    } else if (c === ';' && !atomic) {
      finish(i);
      i++;
    } else if (WORD_START.test(c)) {
      let j = i + 1;
      while (j < sql.length && WORD_CHAR.test(sql[j])) j++;
      const word = sql.slice(i, j);
      emit(i, word);
      const upper = word.toUpperCase();
      if (!atomic && upper === 'ATOMIC' && prevWord.toUpperCase() === 'BEGIN' && /^CREATE\b/i.test(code)) {
        atomic = true;
        caseDepth = 0;
      } else if (atomic && upper === 'CASE') caseDepth++;
      else if (atomic && upper === 'END') {
        if (caseDepth > 0) caseDepth--;
        else atomic = false;
      }
      prevWord = word;
      i = j;
    } else {
      emit(i, c);
      prevWord = '';
      i++;
    }
  }
  finish(sql.length);
  return out;
}

/**
 * Splits already comment-free SQL (a statement's `code`) on `delimiter` at parenthesis depth 0,
 * outside quotes: e.g. the actions of an ALTER TABLE, or the names in a DROP TABLE list.
 */
export function splitTopLevel(code: string, delimiter: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  let i = 0;
  while (i < code.length) {
    const c = code[i];
    if (c === "'" || c === '"') i = endOfQuoted(code, i, c);
    else if (c === '$' && endOfDollarQuote(code, i) > 0) i = endOfDollarQuote(code, i);
    else {
      if (c === '(') depth++;
      else if (c === ')') depth--;
      else if (c === delimiter && depth === 0) {
        parts.push(code.slice(start, i).trim());
        start = i + 1;
      }
      i++;
    }
  }
  parts.push(code.slice(start).trim());
  return parts.filter((p) => p.length > 0);
}

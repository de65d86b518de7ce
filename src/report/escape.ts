/**
 * Store text (keys, names, values, server error messages) is printed for humans in the table and on
 * stderr. Control characters in it could drive the terminal: clear the screen, retitle the window,
 * paint a fake "OK", or reorder text with bidi overrides. They are shown visibly instead, as
 * `\x1b` or `\u202e`. The JSON report keeps the exact text, as JSON escapes (src/report/json.ts).
 */

// C0 (tabs and newlines too: a cell or a stderr line must stay one line), DEL, C1, and the bidi
// embeddings/overrides (U+202A-202E) and isolates (U+2066-2069).
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

export function escapeControl(text: string): string {
  return text.replace(CONTROL, (ch) => {
    const code = ch.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

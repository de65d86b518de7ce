/** Small parsers for command-line flag values, shared by the commands. */

/** "a, b,,c" -> ['a', 'b', 'c']; undefined when the flag was not given. */
export const commaList = (v?: string): string[] | undefined =>
  v
    ? v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : undefined;

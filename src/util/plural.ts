/** "1 prompt", "2 prompts": a count with its noun in the right number. */
export function count(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`;
}

/** The verb for a count: `verb(1, "is", "are")` is "is". */
export function verb(n: number, singular: string, plural: string): string {
  return n === 1 ? singular : plural;
}

/** Values a flag or argument accepts: checked by cli/flags.ts and cli/command-table.ts and offered by shell completion. */
export const CHOICES: Record<string, readonly string[]> = {
  "render --format": ["markdown", "text", "json"],
  "graph --format": ["mermaid", "dot", "json"],
  "completion <shell>": ["bash", "zsh"],
};

export function choicesOf(key: string): string[] {
  return [...(CHOICES[key] ?? [])];
}

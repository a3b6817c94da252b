/** Values a flag or argument accepts: checked by src/cli.ts and offered by shell completion. */
export const CHOICES: Record<string, readonly string[]> = {
  "render --format": ["markdown", "text", "json"],
  "graph --format": ["mermaid", "dot", "json"],
  "completion <shell>": ["bash", "zsh"],
};

export function choicesOf(key: string): string[] {
  return [...(CHOICES[key] ?? [])];
}

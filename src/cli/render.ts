import { render } from "../ops/render.js";

export interface RenderFlags {
  format?: string;
}

export async function renderCommand(prompt: string, flags: RenderFlags): Promise<number> {
  const result = await render({ prompt });
  const format = flags.format ?? "markdown";
  if (format === "json") {
    process.stdout.write(`${JSON.stringify({ prompt: result.prompt, messages: result.messages }, null, 2)}\n`);
  } else {
    process.stdout.write(result.text);
  }
  return 0;
}

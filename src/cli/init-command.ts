import { init, type InitOptions } from "../commands/init.js";
import type { CliIo } from "./io.js";

export async function initCommand(io: CliIo, options: InitOptions): Promise<number> {
  const result = await init(options);
  for (const file of result.created) io.stdout.write(`created ${file}\n`);
  for (const file of result.kept) io.stdout.write(`kept    ${file} (already exists)\n`);
  io.stdout.write("\nNext: pc status, then pc build (or pc render prompts/fizzbuzz.md to paste it into a chat UI).\n");
  return 0;
}

import { init } from "../commands/init.js";

export async function initCommand(): Promise<number> {
  const result = await init();
  for (const file of result.created) process.stdout.write(`created ${file}\n`);
  for (const file of result.kept) process.stdout.write(`kept    ${file} (already exists)\n`);
  process.stdout.write(
    "\nNext: pc status, then pc build (or pc render prompts/fizzbuzz.md to paste it into a chat UI).\n",
  );
  return 0;
}

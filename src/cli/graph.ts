import { graph } from "../commands/graph.js";
import { toDot, toJson, toMermaid, type GraphFormat } from "../commands/graph-format.js";
import { printJson } from "./output.js";

export interface GraphFlags {
  format?: GraphFormat;
}

export async function graphCommand(paths: string[], flags: GraphFlags): Promise<number> {
  const project = await graph({ paths });
  const format = flags.format ?? "mermaid";
  if (format === "json") printJson(toJson(project));
  else process.stdout.write(format === "dot" ? toDot(project) : toMermaid(project));
  return 0;
}

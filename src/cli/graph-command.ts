import { graph, type GraphOptions } from "../commands/graph.js";
import { toDot, toJson, toMermaid, type GraphFormat } from "../commands/graph-format.js";
import type { CliIo } from "./io.js";
import { printJson } from "./output.js";

/** `pc graph`'s options: the library's, plus the format it is printed in. */
export interface GraphCommandOptions extends Pick<GraphOptions, "cwd" | "paths"> {
  format?: GraphFormat;
}

export async function graphCommand(io: CliIo, options: GraphCommandOptions): Promise<number> {
  const project = await graph({ cwd: options.cwd, paths: options.paths });
  const format = options.format ?? "mermaid";
  if (format === "json") printJson(io, toJson(project));
  else io.stdout.write(format === "dot" ? toDot(project) : toMermaid(project));
  return 0;
}

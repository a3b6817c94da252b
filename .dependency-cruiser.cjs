/**
 * The layers of src/, imported downwards only:
 *
 *   cli.ts, index.ts, cli/, ui/          flags, terminal output, exit codes; the workbench server
 *     -> commands/                       one module per command: the library API
 *       -> plan/, execute/               load and plan a project; run one prompt (execute may use plan)
 *         -> prompt/, answer/, engine/, lock/, cache/   (sideways imports allowed while acyclic)
 *           -> util/
 *
 * `npm run lint:deps` checks it (run by npm test).
 */
const layer = (folders) => `^src/(${folders.join("|")})(/|\\.ts$)`;
const top = "^src/(cli|ui)/|^src/(cli|index)\\.ts$";
const commands = layer(["commands"]);
const middle = layer(["plan", "execute"]);
const lower = layer(["prompt", "answer", "engine", "lock", "cache"]);
const util = layer(["util"]);

/** Forbids imports from `from` into any of `to`. */
const upward = (name, from, to, comment) => ({
  name,
  comment,
  severity: "error",
  from: { path: from },
  to: { path: to },
});

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      comment: "Modules must not import each other in a cycle.",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    {
      name: "no-circular-folders",
      comment: "Folders must not import each other in a cycle (sideways imports between lower folders included).",
      severity: "error",
      scope: "folder",
      from: {},
      to: { circular: true },
    },
    upward("commands-imports-cli", commands, top, "commands/ is the library: it never imports the CLI or the UI."),
    upward(
      "plan-execute-imports-up",
      middle,
      `${top}|${commands}`,
      "plan/ and execute/ never import commands or the CLI.",
    ),
    upward(
      "plan-imports-execute",
      layer(["plan"]),
      layer(["execute"]),
      "execute/ runs what plan/ planned: plan never imports execute.",
    ),
    upward(
      "lower-imports-up",
      lower,
      `${top}|${commands}|${middle}`,
      "prompt/, answer/, engine/, lock/ and cache/ import only each other and util/.",
    ),
    upward("util-imports-up", util, `${top}|${commands}|${middle}|${lower}`, "util/ imports nothing of pc's own."),
    {
      name: "not-to-unresolvable",
      severity: "error",
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(node_modules|dist)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default"],
      extensions: [".ts", ".js", ".d.ts"],
    },
  },
};

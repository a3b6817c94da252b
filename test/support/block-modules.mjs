// Preloaded with `node --import` by tests: makes the packages named in PC_TEST_BLOCK (comma-separated)
// unresolvable and appends each blocked import to the file PC_TEST_IMPORT_LOG, so a test can prove a
// command never tries to load them (even an import whose failure the code would swallow).
import { register } from "node:module";

const hooks = `
import { appendFileSync } from "node:fs";
let blocked = [];
let log;
export function initialize(data) {
  blocked = data.blocked;
  log = data.log;
}
export async function resolve(specifier, context, next) {
  if (blocked.some((name) => specifier === name || specifier.startsWith(name + "/"))) {
    if (log) appendFileSync(log, specifier + "\\n");
    const error = new Error("Cannot find package '" + specifier + "' (blocked by the test)");
    error.code = "ERR_MODULE_NOT_FOUND";
    throw error;
  }
  return next(specifier, context);
}
`;

register(`data:text/javascript,${encodeURIComponent(hooks)}`, {
  data: {
    blocked: (process.env.PC_TEST_BLOCK ?? "").split(",").filter(Boolean),
    log: process.env.PC_TEST_IMPORT_LOG,
  },
});

import type { UiOptions } from "../ui/server.js";
import { onInterrupt } from "./interrupt.js";
import type { CliIo } from "./io.js";

/** `pc ui`'s options: the server's, plus whether a browser is opened. */
export interface UiCommandOptions extends Pick<UiOptions, "cwd" | "host" | "port" | "baseUrl"> {
  /** Open a browser on the URL (default true; --no-open). */
  open?: boolean;
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1"]);

/** `pc ui`: serves the workbench until Ctrl-C; the URL (with its access token) is stdout's first line. */
export async function uiCommand(io: CliIo, options: UiCommandOptions): Promise<number> {
  const host = options.host ?? "127.0.0.1";
  if (!LOOPBACK.has(host)) {
    io.stderr.write(
      `pc ui: warning: listening on ${host}, not only on this machine: anyone who can reach it and learns the URL's token can build, accept and read this project's prompts and outputs.\n`,
    );
  }
  const interrupt = onInterrupt(io, () => {});
  const { startUi } = await import("../ui/server.js");
  const ui = await startUi({
    cwd: options.cwd,
    host,
    port: options.port,
    baseUrl: options.baseUrl,
    signal: interrupt.signal,
    onError: (error) => io.stderr.write(`pc ui: ${(error as Error)?.message ?? String(error)}\n`),
  });
  io.stdout.write(`${ui.url}\n`);
  io.stderr.write("pc ui: serving this project; press Ctrl-C to stop.\n");
  if (options.open !== false) await openBrowser(io, ui.url);
  await new Promise<void>((resolve) => interrupt.signal.addEventListener("abort", () => resolve(), { once: true }));
  await ui.close();
  interrupt.dispose();
  return 0;
}

/** Opens the default browser; without one (a server, a container) the printed URL is the way in. */
async function openBrowser(io: CliIo, url: string): Promise<void> {
  try {
    const { default: open } = await import("open");
    const child = await open(url);
    child.on("error", () => io.stderr.write("pc ui: could not open a browser; open the URL above.\n"));
    child.unref();
  } catch {
    io.stderr.write("pc ui: could not open a browser; open the URL above.\n");
  }
}

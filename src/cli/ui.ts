import { onInterrupt } from "./interrupt.js";

export interface UiFlags {
  host?: string;
  port?: number;
  open?: boolean;
  baseUrl?: string;
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1"]);

/** `pc ui`: serves the workbench until Ctrl-C; the URL (with its access token) is stdout's first line. */
export async function uiCommand(flags: UiFlags): Promise<number> {
  const host = flags.host ?? "127.0.0.1";
  if (!LOOPBACK.has(host)) {
    process.stderr.write(
      `pc ui: warning: listening on ${host}, not only on this machine: anyone who can reach it and learns the URL's token can build, accept and read this project's prompts and outputs.\n`,
    );
  }
  const interrupt = onInterrupt(() => {});
  const { startUi } = await import("../ui/server.js");
  const ui = await startUi({
    host,
    port: flags.port,
    baseUrl: flags.baseUrl,
    signal: interrupt.signal,
    onError: (error) => process.stderr.write(`pc ui: ${(error as Error)?.message ?? String(error)}\n`),
  });
  process.stdout.write(`${ui.url}\n`);
  process.stderr.write("pc ui: serving this project; press Ctrl-C to stop.\n");
  if (flags.open !== false) await openBrowser(ui.url);
  await new Promise<void>((resolve) => interrupt.signal.addEventListener("abort", () => resolve(), { once: true }));
  await ui.close();
  interrupt.dispose();
  return 0;
}

/** Opens the default browser; without one (a server, a container) the printed URL is the way in. */
async function openBrowser(url: string): Promise<void> {
  try {
    const { default: open } = await import("open");
    const child = await open(url);
    child.on("error", () => process.stderr.write("pc ui: could not open a browser; open the URL above.\n"));
    child.unref();
  } catch {
    process.stderr.write("pc ui: could not open a browser; open the URL above.\n");
  }
}

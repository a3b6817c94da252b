// A real browser for the UI's tests and benchmark: Debian's chromium driven by playwright-core.
// .ci/run installs chromium in CI; elsewhere, without it, the browser tests skip and say why.
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { BrowserContext } from "playwright-core";

/** The browser's executable (PC_CHROMIUM overrides Debian's path). */
export const CHROMIUM = process.env.PC_CHROMIUM ?? "/usr/bin/chromium";

/** Why the browser tests cannot run here, or undefined when they can. In CI a missing browser is a failure, not a skip. */
export function browserMissing(): string | undefined {
  if (existsSync(CHROMIUM)) return undefined;
  const reason = `${CHROMIUM} not found: install it (apt-get install -y chromium, as .ci/run does) or point PC_CHROMIUM at a Chromium`;
  if (process.env.CI) throw new Error(`the browser tests need Chromium: ${reason}`);
  return reason;
}

/** Quiet, offline, headless, with no state carried between runs. */
const FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Launches headless Chromium with a fresh profile folder, removed on close. */
export async function launchBrowser(): Promise<Browser> {
  const { chromium } = await import("playwright-core");
  const profile = await mkdtemp(path.join(tmpdir(), "pc-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1280, height: 860 },
  });
  return {
    context,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

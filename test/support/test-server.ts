// The one way tests get an in-process test server (test/support/openai-server.ts): one for a whole
// suite (`useTestServer`), or one for a single test (`testServer`), closed when that test ends.
import { afterAll, beforeAll, beforeEach, onTestFinished } from "vitest";
import { defaultAnswer, startTestServer, type TestServer, type TestServerOptions } from "./openai-server.js";

/**
 * One test server for the enclosing suite: started beforeAll, closed afterAll, and reset to
 * `options.answer` (or the default) before each test unless `resetEachTest` is false (a suite whose
 * runs happen in beforeAll and whose tests read the requests they made).
 */
export function useTestServer(options: TestServerOptions = {}, { resetEachTest = true } = {}): TestServer {
  let server: TestServer | undefined;
  beforeAll(async () => {
    server = await startTestServer(options);
  });
  afterAll(() => server?.close());
  beforeEach(() => {
    if (!resetEachTest) return;
    server!.reset();
    server!.setAnswer(options.answer ?? defaultAnswer);
  });
  return new Proxy({} as TestServer, { get: (_, key) => Reflect.get(server!, key) });
}

/** A test server of the running test's own (other options than the suite's), closed when the test ends. */
export async function testServer(options: TestServerOptions = {}): Promise<TestServer> {
  const server = await startTestServer(options);
  onTestFinished(() => server.close());
  return server;
}

/** A TCP port on 127.0.0.1 with nothing listening on it (and not on fetch's blocked-port list). */
export async function closedPort(): Promise<number> {
  const { createServer } = await import("node:net");
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

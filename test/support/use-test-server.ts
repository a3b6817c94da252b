import { afterAll, beforeAll, beforeEach } from "vitest";
import { defaultAnswer, startTestServer, type TestServer, type TestServerOptions } from "./openai-server.js";

/** One test server for the enclosing suite: started beforeAll, closed afterAll, reset to `options.answer` (or the default) before each test. */
export function useTestServer(options: TestServerOptions = {}): TestServer {
  let server: TestServer | undefined;
  beforeAll(async () => {
    server = await startTestServer(options);
  });
  afterAll(() => server?.close());
  beforeEach(() => {
    server!.reset();
    server!.setAnswer(options.answer ?? defaultAnswer);
  });
  return new Proxy({} as TestServer, { get: (_, key) => Reflect.get(server!, key) });
}

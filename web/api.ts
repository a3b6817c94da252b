/** Calls to the UI's server. The access token travels in an HttpOnly cookie, so no call names it. */

export interface ErrorJson {
  code: string;
  message: string;
}

export class ApiError extends Error {
  constructor(readonly error: ErrorJson) {
    super(error.message);
  }
}

export async function getJson<T>(path: string, query: Record<string, string> = {}): Promise<T> {
  const search = new URLSearchParams(query).toString();
  return unwrap<T>(await fetch(search ? `${path}?${search}` : path));
}

export async function postJson<T>(path: string, body: unknown): Promise<T> {
  return unwrap<T>(
    await fetch(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
  );
}

async function unwrap<T>(response: Response): Promise<T> {
  const type = response.headers.get("content-type") ?? "";
  if (!type.startsWith("application/json"))
    throw new ApiError({ code: String(response.status), message: (await response.text()).trim() });
  const body = await response.json();
  if (!response.ok) throw new ApiError(body.error);
  return body as T;
}

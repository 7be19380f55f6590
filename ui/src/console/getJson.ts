// A GET of one of the supervisor's read-only routes, signed in by the session cookie: the JSON
// answer, or an Error carrying the server's own message (`{"error":{"message"}}`), which the
// pages show as it is.
export async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url, { credentials: 'include', headers: { Accept: 'application/json' } });
  if (!response.ok) {
    let message = response.statusText;
    try {
      const body = (await response.json()) as { error?: { message?: unknown } };
      if (typeof body.error?.message === 'string') message = body.error.message;
    } catch {
      // The status says enough.
    }
    throw new Error(message);
  }
  return (await response.json()) as T;
}

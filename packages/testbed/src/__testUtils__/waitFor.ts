/**
 * Polls `fn` until it returns something other than undefined; an error counts as "not yet" (the API server may be
 * restarting under a test) and the last one is named if time runs out.
 */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    let value: T | undefined;
    try {
      value = await fn();
    } catch (e) {
      lastError = e;
    }
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for ${what}${
          lastError
            ? ` (last error: ${(lastError as Error).message ?? lastError})`
            : ''
        }`,
      );
    await new Promise(r => setTimeout(r, 200));
  }
}

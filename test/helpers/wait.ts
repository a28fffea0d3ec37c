/** Polls `probe` until it returns true, at most `timeoutMs`; throws with `what` when time runs out. */
export async function waitFor(what: string, probe: () => Promise<boolean> | boolean, timeoutMs = 5000, everyMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

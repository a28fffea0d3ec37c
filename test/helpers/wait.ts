/**
 * Polls `probe` until it returns true, at most `timeoutMs`; throws with `what` when time runs out.
 * The default of 15 s ends a wait for what never comes within the test's 30 s, and outlasts what
 * a CI run makes of a second's work on a machine whose two cores it keeps busy.
 */
export async function waitFor(what: string, probe: () => Promise<boolean> | boolean, timeoutMs = 15_000, everyMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

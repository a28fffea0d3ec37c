/**
 * Test-only crash and pause points, enabled by environment variables of the service process (the
 * crash tests of resumable uploads): `MEDIA_FAULT_POINT=<step>` makes the process kill itself with
 * SIGKILL when it reaches that step, as a crash there would; `MEDIA_PAUSE_POINT=<step>` makes the
 * work that reaches it print `paused at <step>` on stderr and wait for SIGUSR2. Unset, they cost
 * a comparison.
 */
const crashAt = process.env.MEDIA_FAULT_POINT;
const pauseAt = process.env.MEDIA_PAUSE_POINT;

export async function faultPoint(step: string): Promise<void> {
  if (crashAt === step) process.kill(process.pid, 'SIGKILL');
  if (pauseAt !== step) return;
  const resumed = new Promise<void>((resolve) => process.once('SIGUSR2', () => resolve()));
  process.stderr.write(`paused at ${step}\n`);
  await resumed;
}

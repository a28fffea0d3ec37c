import { z } from 'zod';

/** `log`: the service's logger. */
export const logConfigSchema = z
  .object({
    /** pino level; also LOG_LEVEL. */
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .strict();

import type { BenchContext } from '../lib/context.ts';
import type { ResultRow } from '../lib/results.ts';

/**
 * One benchmark scenario: a small module that measures (with its baselines, through
 * `ctx.memo` when several scenarios share one) and returns its table rows. Adding one means a
 * new file here and one line in `index.ts`.
 */
export interface Scenario {
  /** Stable name: the `scenario` column, the key in results.json, and what `--only` matches. */
  name: string;
  /** The module it benchmarks (`media`, `proxy`, `chat`), also matched by `--only`. */
  module: string;
  run(ctx: BenchContext): Promise<ResultRow[]>;
}

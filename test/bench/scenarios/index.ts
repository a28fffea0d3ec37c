import { download } from './download.ts';
import { eventLoopLag } from './event-loop-lag.ts';
import { largeMultipart } from './large-multipart.ts';
import type { Scenario } from './scenario.ts';
import { smallMultipart } from './small-multipart.ts';
import { smallUrlencoded } from './small-urlencoded.ts';

/** Every scenario, in the order they run. A new one is one module and one line here. */
export const scenarios: Scenario[] = [
  // media
  smallMultipart,
  eventLoopLag,
  smallUrlencoded,
  largeMultipart,
  download,
];

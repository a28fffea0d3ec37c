import { audioAnalysis } from './audio-analysis.ts';
import { chatFanOut } from './chat.ts';
import { download } from './download.ts';
import { eventLoopLag } from './event-loop-lag.ts';
import { largeMultipart } from './large-multipart.ts';
import { listing } from './listing.ts';
import { peerDownload } from './peer-download.ts';
import { peerProxyFast, peerProxySlow } from './peer-proxy.ts';
import { peerResumable } from './peer-resumable.ts';
import { peerSmallUpload } from './peer-small-upload.ts';
import { proxyFastUpstream, proxySlowUpstream } from './proxy.ts';
import { resumableUpload } from './resumable-upload.ts';
import { runtime } from './runtime.ts';
import { s3Listing } from './s3-listing.ts';
import { s3Rgw } from './s3-rgw.ts';
import { s3SixGib } from './s3-six-gib.ts';
import { s3StreamUpload } from './s3-stream-upload.ts';
import { s3Walk } from './s3-walk.ts';
import { signedDownload } from './signed-download.ts';
import type { Scenario } from './scenario.ts';
import { webhooks } from './webhooks.ts';
import { smallMultipart } from './small-multipart.ts';
import { smallUrlencoded } from './small-urlencoded.ts';

/** Every scenario, in the order they run. A new one is one module and one line here. */
export const scenarios: Scenario[] = [
  // media
  smallMultipart,
  eventLoopLag,
  smallUrlencoded,
  webhooks,
  largeMultipart,
  resumableUpload,
  runtime,
  download,
  signedDownload,
  s3Rgw,
  s3StreamUpload,
  s3SixGib,
  s3Listing,
  s3Walk,
  audioAnalysis,
  // Last of media: it creates 111,000 files, which are deleted only when the bench ends.
  listing,
  // proxy
  proxySlowUpstream,
  proxyFastUpstream,
  // issue 30: the servers a user would otherwise pick, each logging at info with a request histogram
  peerDownload,
  peerSmallUpload,
  peerResumable,
  peerProxyFast,
  peerProxySlow,
  // chat
  chatFanOut,
];

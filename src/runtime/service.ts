import type http from 'node:http';
import type { Logger } from 'pino';
import { Access } from '../access/access.ts';
import { createAnalysis } from '../analysis/create-analysis.ts';
import { createApp } from '../app.ts';
import { attachChat, CLOSE_GOING_AWAY, createHub, type ChatHandle } from '../chat/attach-chat.ts';
import type { Config } from '../config.ts';
import { withEventLoopProbe } from '../diagnostics.ts';
import { Metrics } from '../observability/metrics.ts';
import { UpstreamRegistry } from '../proxy/upstream-registry.ts';
import { ContentInspector } from '../media/content-inspector.ts';
import { MediaThreads } from '../media-threads.ts';
import { PublishPipeline } from '../media/publish-pipeline.ts';
import { Events } from '../events/events.ts';
import type { FeedOptions } from '../events/event-feed.ts';
import type { ByteStore } from '../storage/byte-store.ts';
import { createStore } from '../storage/create-store.ts';
import { ResumableUploads } from '../uploads/resumable-uploads.ts';
import { clusterMetricsText } from './cluster-metrics.ts';
import { trackAnswers } from './drain.ts';
import { closeGracefully, createHttpServer, listen } from './http-server.ts';
import { prepareStorageRoot } from './storage-root.ts';
import { noReplaceGuarantee } from '../storage/s3/no-replace-guarantee.ts';

export interface ServiceOptions {
  logger: Logger;
  /** A cluster worker: /metrics answers the sum over all workers. */
  clustered?: boolean;
  /** Benchmarks only: serve GET /_bench/event-loop (src/diagnostics.ts). */
  eventLoopProbe?: boolean;
  /** Tests only: the clock signed URLs are issued and checked by (ms since the epoch). */
  clock?: () => number;
  /** Tests only: the live feed's keep-alive interval and buffer bound (GET /events). */
  eventFeed?: Partial<FeedOptions>;
}

/** One running service process: the store, the app on its HTTP server, and how to stop it. */
export interface Service {
  url: string;
  config: Config;
  server: http.Server;
  store: ByteStore;
  metrics: Metrics;
  chat: ChatHandle;
  /** Graceful stop: no new connections, in-flight work finishes (up to the grace period), pools drained. */
  stop(): Promise<void>;
}

export async function startService(
  config: Config,
  { logger, clustered = false, eventLoopProbe = false, clock = Date.now, eventFeed }: ServiceOptions,
): Promise<Service> {
  await prepareStorageRoot(config.storage.root);
  // Content checks and the local store's byte work share these threads (media-threads.ts).
  const threads = MediaThreads.create(config.media.poolSize, (err) => logger.error({ err }, 'media thread failed outside a task'));
  const backend = await createStore(
    config,
    {
      onSweepError: (err) => logger.warn({ err }, 'temp sweep failed'),
      onIndexError: (err) => logger.warn({ err }, 'metadata index write failed'),
      onIndexDamaged: (problem, keptAt) =>
        logger.error({ problem, keptAt }, 'metadata index damaged: set aside, rebuilding it from the files'),
      onCompletionCondition: (enforced) => logger.info({ enforced }, noReplaceGuarantee(enforced)),
      onLockError: (err) => logger.warn({ err }, 'object name locks: redis connection error'),
    },
    threads,
  ).catch(async (error: unknown) => {
    await threads.close();
    throw error;
  });
  // Every route uses the store with analysis hooked to it (commits queue files, removals drop results).
  const analysisSetup = await createAnalysis(config, backend, logger);
  const store = analysisSetup?.store ?? backend;
  const analysis = analysisSetup?.analysis;
  const metrics = new Metrics(() => store.stats());
  const inspector = ContentInspector.create(threads);
  // Before anything publishes: the events a crash left unconfirmed are settled first.
  const events = await Events.open(config.events, config.storage.root, {
    store,
    logger,
    metrics,
    feed: eventFeed,
    redisUrl: config.storage.backend === 's3' ? (config.redis.url ?? config.chat.redisUrl) : undefined,
  });
  const upstreams = await UpstreamRegistry.open(config.proxy);
  const pipeline = new PublishPipeline(store, inspector, { verifyContent: config.media.verifyContent }, events);
  const hub = await createHub(config.chat, logger);
  const checkHub = hub.check?.bind(hub);
  const access = new Access(config.auth, clock);
  const uploads = await ResumableUploads.create(config, { store, inspector, pipeline, metrics, logger, access, events });
  const app = createApp(config, {
    store,
    inspector,
    pipeline,
    logger,
    upstreams,
    metrics,
    uploads,
    access,
    analysis,
    events,
    metricsText: clustered ? clusterMetricsText(metrics) : undefined,
    readinessChecks: [() => inspector.ready(), () => uploads.ready(), ...(checkHub ? [checkHub] : [])],
  });
  const server = createHttpServer(eventLoopProbe ? withEventLoopProbe(app) : app, config.server);
  const answers = trackAnswers(server);
  const chat = attachChat(server, config, { logger, hub, metrics });
  const url = await listen(server, config.server.port, config.server.host);
  // Files stored before a crash, or while analysis was off, have no result yet.
  analysis?.scan();

  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      // Chat sockets are upgraded connections: server.close() would wait for them forever.
      events.endFeeds();
      await Promise.all([closeGracefully(server, answers, config.server.shutdownGraceMs), chat.close(CLOSE_GOING_AWAY)]);
      await analysis?.close();
      await Promise.all([uploads.close(), inspector.close(), upstreams.close(), events.close()]);
      await store.close();
      await threads.close();
    })();
    return stopped;
  };
  return { url, config, server, store, metrics, chat, stop };
}

import { Router } from 'express';
import type { ByteStore } from '../storage/byte-store.ts';

export interface HealthDeps {
  store: Pick<ByteStore, 'ready'>;
  /** Extra readiness checks (e.g. Redis); each returns problems, empty when fine. */
  checks?: Array<() => Promise<string[]>>;
  /** Prometheus text for /metrics: this process's, or the whole cluster's. */
  metricsText: () => Promise<string>;
  contentType: string;
}

/** /healthz: the process answers. /readyz: it can do its work. /metrics: Prometheus text. */
export function healthRoutes({ store, checks = [], metricsText, contentType }: HealthDeps): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const problems = (await Promise.all([store.ready(), ...checks.map((check) => check())])).flat();
    res.status(problems.length ? 503 : 200).json(problems.length ? { status: 'unavailable', problems } : { status: 'ready' });
  });
  router.get('/metrics', async (_req, res) => {
    res.type(contentType).send(await metricsText());
  });
  return router;
}

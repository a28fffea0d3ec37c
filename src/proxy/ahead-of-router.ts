import type { RequestListener } from 'node:http';
import type { ErrorRequestHandler, Express, Request, RequestHandler, Response } from 'express';
import type { ProxyHandler } from './routes.ts';

export interface RouteAhead {
  /** Where the route is mounted in the app too, e.g. `/proxy`. */
  mount: string;
  /** The app's middleware that runs before the mount (request line, metrics); each calls `next` at once. */
  before: RequestHandler[];
  handler: ProxyHandler;
  onError: ErrorRequestHandler;
}

/**
 * The app as a request listener, with requests under `<mount>/` answered without Express's router,
 * which costs a proxied request more than anything it gives it (test/bench/NOTES.md, "What a
 * proxied request allocates"). Such a request gets what the router would have given it: Express's
 * request and response (so `req.protocol`, `res.status` and the app's settings behave the same),
 * `originalUrl`, `baseUrl`, the url relative to the mount, the middleware ahead of the mount, and
 * the app's error handler. Every other request, including other spellings of the mount that the
 * router matches (`/proxy`, `/PROXY/...`), goes to the app, which mounts the same handler.
 */
export function withRouteAhead(app: Express, route: RouteAhead): RequestListener {
  const prefix = `${route.mount}/`;
  const next = () => undefined;
  return (incoming, outgoing) => {
    const url = incoming.url!;
    if (!url.startsWith(prefix)) return app(incoming, outgoing);
    const req = Object.setPrototypeOf(incoming, app.request) as Request;
    const res = Object.setPrototypeOf(outgoing, app.response) as Response;
    req.res = res;
    res.req = req;
    res.locals = Object.create(null) as Response['locals'];
    req.originalUrl = url;
    req.baseUrl = route.mount;
    req.url = url.slice(route.mount.length);
    for (const step of route.before) void step(req, res, next);
    res.locals.mount = route.mount;
    // An error once the answer has started: the connection is cut, as Express's final handler does.
    route.handler(req, res).catch((error: unknown) => route.onError(error, req, res, () => req.socket.destroy()));
  };
}

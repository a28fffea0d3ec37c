import { Router } from 'express';
import type { Access } from '../access/access.ts';
import type { Principal } from '../access/principal.ts';
import { AppError } from '../errors.ts';
import { sendResult } from '../http/answers.ts';
import { followEvents } from './event-feed.ts';
import type { Events } from './events.ts';

const LIST_LIMIT = 1000;

/**
 * GET /events (the live feed, or a page of the log as JSON), GET /events?status=failed and
 * POST /events/<id>/retry. A caller sees the events of the directories it may list (README
 * "Events"); a retry needs the `write` scope in the event's directory.
 */
export function eventRoutes(events: Events, access: Access): Router {
  const router = Router();
  router.get('/', async (req, res) => {
    const visible = visibleTo(access, access.principal(res));
    if (req.query.status === 'failed') {
      const failed = (await events.log.failed(LIST_LIMIT))
        .filter(({ event }) => visible(event.data.directory))
        .map(({ delivery, event }) => ({
          ...event,
          url: events.webhookUrl(delivery.hook),
          tries: delivery.attempts,
          error: delivery.lastError,
        }));
      return sendResult(res, 'OK', { events: failed });
    }
    if (req.query.status !== undefined) throw new AppError('INVALID_ARGUMENT', "invalid argument: status must be 'failed'");
    if (req.accepts(['application/json', 'text/event-stream']) === 'text/event-stream')
      return followEvents(events, req, res, visible, events.feed);
    const after = typeof req.query.after === 'string' ? req.query.after : undefined;
    const page = await events.log.after(after, LIST_LIMIT);
    sendResult(res, 'OK', {
      events: page.filter((event) => visible(event.data.directory)),
      nextAfter: page.length === LIST_LIMIT ? page.at(-1)!.id : undefined,
    });
  });
  router.post('/:id/retry', async (req, res) => {
    const event = await events.log.event(req.params.id);
    if (!event) throw new AppError('NOT_FOUND', `not found: no event ${req.params.id} in the log`);
    access.requireKey(access.principal(res), 'write', event.data.directory);
    const retried = await events.retry(event.id);
    sendResult(res, 'OK', { id: event.id, retried });
  });
  return router;
}

/** Which directories' events a principal sees: those it may list (throws when it may list none). */
function visibleTo(access: Access, principal: Principal): (directory: string) => boolean {
  access.mayList(principal, '');
  return (directory) => {
    try {
      return access.mayList(principal, directory).all;
    } catch {
      return false;
    }
  };
}

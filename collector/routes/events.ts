// POST /v1/events: EventBridge events, one or an array, JSON only. Answers
// { accepted, duplicates, ignored }: new events, events already recorded (EventBridge delivers at
// least once; the event id deduplicates), and valid events that say nothing about launches.
//
// Auth: `Authorization: Bearer <token>` with the admin token or the agent token. An EventBridge
// API destination sends it when its connection is of type API key with the header name
// `Authorization` and the value `Bearer <token>`. With neither token configured, events are
// accepted only when allow_anonymous is set.
import type { FastifyInstance } from 'fastify';
import { checkEventTimes, parseEventBatch } from '../events/eventbridge.js';
import type { RouteContext } from './context.js';
import { storeWrite } from './store-write.js';

export function eventRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.post(
    '/v1/events',
    {
      bodyLimit: ctx.config.bodyLimitBytes,
      onRequest: async (request) => ctx.auth.events(request.headers),
    },
    async (request) => {
      const receivedAtMs = ctx.clock.now();
      const { events, ignored } = parseEventBatch(request.body);
      checkEventTimes(events, receivedAtMs);
      const { fresh, counters } = await storeWrite('events', () =>
        ctx.store.recordEvents(events, receivedAtMs),
      );
      ctx.metrics.apply(counters);
      return { accepted: fresh.length, duplicates: events.length - fresh.length, ignored };
    },
  );
}

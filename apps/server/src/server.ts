/**
 * The OpenAI-compatible HTTP server (node:http): routing, body limits, errors as OpenAI's, metrics per request,
 * and graceful shutdown — `close()` stops accepting connections, answers 503 to new generation requests on open
 * ones, lets every queued and in-flight sequence finish (streams end with [DONE]), then closes.
 *
 *   GET  /health                  {"status": "ok"} (503 "draining" while shutting down)
 *   GET  /metrics                 Prometheus text format
 *   GET  /v1/models[/{id}]
 *   POST /v1/completions          POST /v1/chat/completions
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { QueueFullError, RequestTooLargeError, Scheduler, type SchedulerOptions } from './engine/scheduler.js';
import { ApiError, sendError, sendJson } from './http/api-error.js';
import { readJsonBody } from './http/read-json-body.js';
import { ServerMetrics } from './metrics.js';
import { chatCompletions } from './routes/chat-completions.js';
import { completions } from './routes/completions.js';
import { listModels, retrieveModel } from './routes/models.js';
import { RouteContext, type ServerLimits } from './routes/route-context.js';
import type { ServedModel } from './served-model.js';
import { requireBodyObject } from './validation/fields.js';

export interface ServerOptions extends SchedulerOptions, Partial<ServerLimits> {
  served: ServedModel;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 8000; 0 picks a free port. */
  port?: number;
  /** Open connections at most (default 1024): with the body limit, it bounds what request bodies can hold. */
  maxConnections?: number;
}

export interface RunningServer {
  /** http://host:port */
  url: string;
  host: string;
  port: number;
  scheduler: Scheduler;
  metrics: ServerMetrics;
  /**
   * Graceful shutdown: finishes queued and in-flight requests, then closes. After `graceMs` (default: no limit)
   * what is still running is cancelled.
   */
  close(options?: { graceMs?: number }): Promise<void>;
}

type Handler = (ctx: RouteContext, req: IncomingMessage, res: ServerResponse) => Promise<number>;

const GENERATION_ROUTES: Record<
  string,
  (ctx: RouteContext, body: Record<string, unknown>, req: IncomingMessage, res: ServerResponse) => Promise<number>
> = {
  '/v1/completions': completions,
  '/v1/chat/completions': chatCompletions,
};

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const metrics = new ServerMetrics();
  const scheduler = new Scheduler(options.served.model, options, metrics);
  metrics.attach(scheduler);
  const limits: ServerLimits = {
    maxChoices: options.maxChoices ?? 16,
    maxMessages: options.maxMessages ?? 1024,
    maxBodyBytes: options.maxBodyBytes ?? 1 << 20,
  };
  const ctx = new RouteContext(options.served, scheduler, limits);
  let draining = false;

  const route = (req: IncomingMessage): { name: string; handler: Handler } => {
    const path = (req.url ?? '/').split('?')[0]!;
    const method = req.method ?? 'GET';
    const only = (allowed: string, handler: Handler): Handler =>
      method === allowed
        ? handler
        : async () => {
            throw new ApiError(
              405,
              `${method} is not allowed on ${path}; use ${allowed}.`,
              'invalid_request_error',
              null,
              'method_not_allowed',
            );
          };
    if (path === '/health') {
      return {
        name: path,
        handler: only('GET', async (_c, _q, res) => {
          sendJson(res, draining ? 503 : 200, { status: draining ? 'draining' : 'ok' });
          return draining ? 503 : 200;
        }),
      };
    }
    if (path === '/metrics') {
      return {
        name: path,
        handler: only('GET', async (_c, _q, res) => {
          const { contentType, body } = await metrics.text();
          res.writeHead(200, { 'content-type': contentType });
          res.end(body);
          return 200;
        }),
      };
    }
    const json =
      (answer: () => unknown): Handler =>
      async (_c, _q, res) => {
        sendJson(res, 200, answer());
        return 200;
      };
    if (path === '/v1/models')
      return {
        name: path,
        handler: only(
          'GET',
          json(() => listModels(ctx.served)),
        ),
      };
    if (path.startsWith('/v1/models/')) {
      const id = path.slice('/v1/models/'.length);
      return {
        name: '/v1/models/{id}',
        handler: only(
          'GET',
          json(() => retrieveModel(ctx.served, decodeModelId(id))),
        ),
      };
    }
    const generation = GENERATION_ROUTES[path];
    if (generation) {
      return {
        name: path,
        handler: only('POST', async (c, req, res) => {
          const body = requireBodyObject(await readJsonBody(req, limits.maxBodyBytes));
          if (draining) throw new ApiError(503, 'The server is shutting down.', 'service_unavailable');
          return generation(c, body, req, res);
        }),
      };
    }
    return {
      name: 'unknown',
      handler: async () => {
        throw new ApiError(404, `Unknown endpoint ${method} ${path}.`, 'not_found_error', null, 'unknown_url');
      },
    };
  };

  const server: Server = createServer((req, res) => {
    const { name, handler } = route(req);
    handler(ctx, req, res)
      .catch((error: unknown) => {
        const apiError = toApiError(error);
        if (!res.headersSent) sendError(res, apiError);
        else res.destroy();
        return apiError.status;
      })
      .then((status) => metrics.request(name, status));
  });
  server.keepAliveTimeout = 5_000;
  server.maxConnections = options.maxConnections ?? 1024;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8000, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `http://${host}:${address.port}`,
    host: address.address,
    port: address.port,
    scheduler,
    metrics,
    async close({ graceMs } = {}) {
      draining = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = graceMs === undefined ? undefined : setTimeout(() => scheduler.cancelAll(), graceMs);
      await scheduler.idle();
      clearTimeout(timer);
      // Responses written, sockets idle: nothing in flight is cut off.
      await new Promise((resolve) => setImmediate(resolve));
      server.closeIdleConnections();
      const idleTimer = setInterval(() => server.closeIdleConnections(), 50);
      await closed;
      clearInterval(idleTimer);
    },
  };
}

function decodeModelId(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new ApiError(
      400,
      `The model id in the URL is not valid percent-encoding: '${text}'.`,
      'invalid_request_error',
      'model',
    );
  }
}

function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof QueueFullError)
    return new ApiError(429, error.message, 'rate_limit_exceeded', null, 'queue_full');
  if (error instanceof RequestTooLargeError)
    return new ApiError(400, error.message, 'invalid_request_error', 'max_tokens', 'request_too_large');
  return new ApiError(500, `Internal error: ${error instanceof Error ? error.message : String(error)}`, 'server_error');
}

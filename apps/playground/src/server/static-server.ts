/**
 * The playground's HTTP server: the built page from one folder, and model directories mounted under
 * /models/<name>/ (only their config.json and .safetensors files). Bound to 127.0.0.1 by default: WebGPU needs a
 * secure context, which localhost is.
 */
import { createReadStream, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';

export interface StaticServerOptions {
  /** The built page (index.html, app.js). */
  wwwDir: string;
  /** Model name → Hugging Face model directory, served at /models/<name>/. */
  models: Readonly<Record<string, string>>;
  /** Default 0 (any free port). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
}

export interface RunningServer {
  /** e.g. http://127.0.0.1:5173/ */
  url: string;
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
  '.safetensors': 'application/octet-stream',
};

/** The file a URL path names, or undefined (outside the served folders, or not a file we serve). */
function resolvePath(pathname: string, options: StaticServerOptions): string | undefined {
  const model = /^\/models\/([^/]+)\/([^/]+)$/.exec(pathname);
  if (model) {
    const dir = options.models[decodeURIComponent(model[1]!)];
    const file = decodeURIComponent(model[2]!);
    if (!dir || !(file === 'config.json' || file.endsWith('.safetensors'))) return undefined;
    return inside(dir, file);
  }
  return inside(options.wwwDir, pathname === '/' ? 'index.html' : decodeURIComponent(pathname.slice(1)));
}

function inside(dir: string, file: string): string | undefined {
  const root = resolve(dir);
  const path = resolve(root, file);
  return path.startsWith(root + sep) ? path : undefined;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

export async function startStaticServer(options: StaticServerOptions): Promise<RunningServer> {
  const server: Server = createServer((req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    const path = resolvePath(pathname, options);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
    } else if (!path || !isFile(path)) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${pathname}\n`);
    } else {
      res.writeHead(200, {
        'content-type': CONTENT_TYPES[extname(path)] ?? 'application/octet-stream',
        'content-length': statSync(path).size,
        'cache-control': 'no-store',
      });
      if (req.method === 'HEAD') res.end();
      else createReadStream(path).pipe(res);
    }
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, host, () => ok());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/`,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

/** The repository's golden fixtures, mounted by default (tests/fixtures/<name>). */
export function fixtureModels(repoDir: string): Record<string, string> {
  return {
    'tiny-a': join(repoDir, 'tests', 'fixtures', 'tiny-a'),
    'tiny-b': join(repoDir, 'tests', 'fixtures', 'tiny-b'),
  };
}

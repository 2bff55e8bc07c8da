/**
 * The rendezvous that starts a process group, like torchrun's TCP store reduced to its one use here: rank 0
 * listens on MASTER_ADDR:MASTER_PORT and hands every other rank the same bytes (the NCCL unique id it made).
 * It resolves only after every rank has acknowledged receipt, because NCCL's init then blocks rank 0's event loop
 * — a rank still waiting for the id at that point would never get it.
 *
 * Wire format: one JSON object per line. rank → 0: {"rank", "worldSize"}; 0 → rank: {"payload": base64} or
 * {"error"}; rank → 0: {"ack": true}. Ranks that start before rank 0 listens retry the connection until the
 * deadline. Every failure (timeout, mismatched world size, duplicate rank) rejects with a message naming it.
 */
import { connect, createServer, type Socket } from 'node:net';

export interface RendezvousOptions {
  /** Rank 0's address (MASTER_ADDR) and port (MASTER_PORT; 0 lets rank 0 pick a free port, see `onListening`). */
  readonly host: string;
  readonly port: number;
  readonly rank: number;
  readonly worldSize: number;
  /** How long to wait for every rank (default 120 s). */
  readonly timeoutMs?: number;
}

export interface ServeOptions extends Omit<RendezvousOptions, 'rank'> {
  /** What every rank receives. */
  readonly payload: Uint8Array;
  /** Called with the bound port once rank 0 listens. */
  readonly onListening?: (port: number) => void;
}

const DEFAULT_TIMEOUT_MS = 120_000;
const RETRY_MS = 100;

/** Rank 0 hands `payload()` to every rank; the others receive it. Resolves with the payload on every rank. */
export async function rendezvous(options: RendezvousOptions, payload: () => Uint8Array): Promise<Uint8Array> {
  if (options.worldSize === 1) return payload();
  if (options.rank === 0) {
    const bytes = payload();
    await serveRendezvous({ ...options, payload: bytes });
    return bytes;
  }
  return joinRendezvous(options);
}

/** Splits a socket's stream into JSON lines. */
function onLines(socket: Socket, handle: (message: Record<string, unknown>) => void): void {
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    text += chunk;
    for (let end = text.indexOf('\n'); end >= 0; end = text.indexOf('\n')) {
      const line = text.slice(0, end);
      text = text.slice(end + 1);
      let message: unknown;
      try {
        message = JSON.parse(line);
      } catch {
        socket.destroy(new Error(`rendezvous: malformed message ${JSON.stringify(line.slice(0, 80))}`));
        return;
      }
      handle(message as Record<string, unknown>);
    }
  });
}

const send = (socket: Socket, message: Record<string, unknown>): void => {
  socket.write(`${JSON.stringify(message)}\n`);
};

/** Rank 0's side: resolves once ranks 1 … worldSize − 1 have each acknowledged the payload. */
export function serveRendezvous(options: ServeOptions): Promise<void> {
  const { host, worldSize } = options;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const joined = new Set<number>();
    const acked = new Set<number>();
    const sockets = new Set<Socket>();
    let settled = false;
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => socket.destroy());
      let rank = -1;
      onLines(socket, (message) => {
        if (message.ack === true && rank > 0) {
          acked.add(rank);
          if (acked.size === worldSize - 1) finish();
          return;
        }
        const r = message.rank;
        const problem =
          message.worldSize !== worldSize
            ? `rank ${String(r)} was started with WORLD_SIZE ${String(message.worldSize)}, rank 0 with ${worldSize}`
            : !Number.isInteger(r) || (r as number) < 1 || (r as number) >= worldSize
              ? `rank ${String(r)} is not a rank of a group of ${worldSize}`
              : joined.has(r as number)
                ? `rank ${String(r)} joined twice (two processes with the same RANK)`
                : undefined;
        if (problem) {
          send(socket, { error: problem });
          finish(new Error(`rendezvous: ${problem}`));
          return;
        }
        rank = r as number;
        joined.add(rank);
        send(socket, { payload: Buffer.from(options.payload).toString('base64') });
      });
    });
    const timer = setTimeout(() => {
      const missing = Array.from({ length: worldSize - 1 }, (_, i) => i + 1).filter((r) => !acked.has(r));
      finish(
        new Error(
          `rendezvous: rank 0 at ${host}:${boundPort()} waited ${timeoutMs / 1000} s; rank(s) ${missing.join(', ')} never joined`,
        ),
      );
    }, timeoutMs);
    const boundPort = (): number => {
      const address = server.address();
      return typeof address === 'object' && address ? address.port : options.port;
    };
    function finish(error?: Error): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      server.close();
      // On success every rank has its payload: closing our ends is safe. On failure, tell them by closing.
      for (const socket of sockets) socket.end();
      if (error) reject(error);
      else resolve();
    }
    server.on('error', (error: NodeJS.ErrnoException) =>
      finish(new Error(`rendezvous: rank 0 cannot listen on ${host}:${options.port}: ${error.message}`)),
    );
    server.listen(options.port, host, () => options.onListening?.(boundPort()));
  });
}

/** A non-zero rank's side: connects to rank 0 (retrying until it listens) and returns its payload. */
export function joinRendezvous(options: RendezvousOptions): Promise<Uint8Array> {
  const { host, port, rank, worldSize } = options;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    let lastError = 'no answer';
    let socket: Socket | undefined;
    let settled = false;
    let retry: NodeJS.Timeout | undefined;
    const finish = (error: Error | undefined, payload?: Uint8Array): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(retry);
      if (error) {
        socket?.destroy();
        reject(error);
      } else {
        socket?.end();
        resolve(payload!);
      }
    };
    const timer = setTimeout(
      () =>
        finish(
          new Error(
            `rendezvous: rank ${rank} got no answer from rank 0 at ${host}:${port} within ${timeoutMs / 1000} s (${lastError})`,
          ),
        ),
      timeoutMs,
    );
    const attempt = (): void => {
      let answered = false;
      const s = connect({ host, port });
      socket = s;
      s.on('connect', () => send(s, { rank, worldSize }));
      onLines(s, (message) => {
        answered = true;
        if (typeof message.error === 'string') {
          finish(new Error(`rendezvous: rank 0 refused rank ${rank}: ${message.error}`));
        } else if (typeof message.payload === 'string') {
          send(s, { ack: true });
          finish(undefined, new Uint8Array(Buffer.from(message.payload, 'base64')));
        } else {
          finish(new Error(`rendezvous: unexpected answer from rank 0: ${JSON.stringify(message).slice(0, 80)}`));
        }
      });
      s.on('error', (error: NodeJS.ErrnoException) => {
        lastError = error.code ?? error.message;
      });
      s.on('close', () => {
        if (settled) return;
        if (answered || Date.now() >= deadline) return;
        retry = setTimeout(attempt, RETRY_MS); // rank 0 not listening yet (or it restarted): try again
      });
    };
    attempt();
  });
}

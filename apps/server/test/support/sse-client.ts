/** Raw HTTP helpers for the tests: JSON requests and server-sent-event streams read event by event. */

export interface RawStream {
  status: number;
  contentType: string | null;
  /** Each `data:` payload, in order ('[DONE]' included). */
  events: string[];
}

export async function postStream(url: string, body: unknown, signal?: AbortSignal): Promise<RawStream> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal,
  });
  const text = await res.text();
  const events = text
    .split('\n\n')
    .filter((block) => block !== '')
    .map((block) => {
      if (!block.startsWith('data: ')) throw new Error(`not an SSE data block: ${JSON.stringify(block)}`);
      return block.slice('data: '.length);
    });
  return { status: res.status, contentType: res.headers.get('content-type'), events };
}

// biome-ignore lint/suspicious/noExplicitAny: the tests read answer bodies field by field
export async function postJson(url: string, body: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

/**
 * Reads a request body as JSON with a size bound: past `limitBytes` the request is refused with 413 without reading
 * (or buffering) the rest, so no upload can make the server allocate more than the limit.
 */
import type { IncomingMessage } from 'node:http';
import { ApiError } from './api-error.js';

export async function readJsonBody(req: IncomingMessage, limitBytes: number): Promise<unknown> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limitBytes) throw tooLarge(limitBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limitBytes) throw tooLarge(limitBytes);
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof ApiError) throw error;
    // The client went away (or broke the framing) mid-upload: its fault, not the server's.
    throw new ApiError(400, `The request body could not be read: ${(error as Error).message}`);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') throw new ApiError(400, 'The request body is empty: expected a JSON object.');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ApiError(
      400,
      `We could not parse the JSON body of your request: ${(error as Error).message}`,
      'invalid_request_error',
      null,
      'invalid_json',
    );
  }
}

function tooLarge(limitBytes: number): ApiError {
  return new ApiError(
    413,
    `The request body is larger than ${limitBytes} bytes.`,
    'invalid_request_error',
    null,
    'request_too_large',
  );
}

/**
 * Typed reads of request fields. Each read checks one field and throws a 400 naming it (`param` and message), so
 * every route validates the same way: JSON null counts as absent, as in OpenAI's API.
 */
import { invalidField } from '../http/api-error.js';

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A 400 for a list longer than its limit. */
export function tooMany(field: string, count: number, max: number, noun: string) {
  return invalidField(field, `'${field}' holds ${count} ${noun}; at most ${max} are allowed.`, 'invalid_value');
}

export function requireBodyObject(body: unknown): JsonObject {
  if (!isObject(body)) throw invalidField('body', 'The request body must be a JSON object.');
  return body;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return value.length > 40 ? 'a string' : `'${value}'`;
  if (typeof value === 'number') return String(value);
  return `a ${typeof value}`;
}

export function optionalNumber(
  body: JsonObject,
  field: string,
  range: { min: number; max: number; minExclusive?: boolean; integer?: boolean },
): number | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  const kind = range.integer ? 'an integer' : 'a number';
  if (typeof value !== 'number' || !Number.isFinite(value) || (range.integer && !Number.isInteger(value))) {
    throw invalidField(field, `'${field}' must be ${kind}, got ${describe(value)}.`, 'invalid_type');
  }
  const low = range.minExclusive ? value <= range.min : value < range.min;
  if (low || value > range.max) {
    const lower = range.minExclusive ? `greater than ${range.min}` : `at least ${range.min}`;
    throw invalidField(field, `'${field}' must be ${lower} and at most ${range.max}, got ${value}.`, 'invalid_value');
  }
  return value;
}

export function optionalBoolean(body: JsonObject, field: string): boolean | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') {
    throw invalidField(field, `'${field}' must be a boolean, got ${describe(value)}.`, 'invalid_type');
  }
  return value;
}

export function requireString(body: JsonObject, field: string, maxLength: number): string {
  const value = body[field];
  if (value === undefined || value === null)
    throw invalidField(field, `'${field}' is required.`, 'missing_required_parameter');
  if (typeof value !== 'string') {
    throw invalidField(field, `'${field}' must be a string, got ${describe(value)}.`, 'invalid_type');
  }
  if (value.length > maxLength)
    throw invalidField(field, `'${field}' is longer than ${maxLength} characters.`, 'invalid_value');
  return value;
}

/** Refuses a field this server does not implement when it asks for something (any value but the neutral ones). */
export function refuseUnsupported(body: JsonObject, field: string, neutral: readonly unknown[] = [false]): void {
  const value = body[field];
  if (value === undefined || value === null || neutral.includes(value)) return;
  throw invalidField(field, `'${field}' is not supported by this server.`, 'unsupported_parameter');
}

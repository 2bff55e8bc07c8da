/**
 * One JSONL record to its document text: the line must be a JSON object whose `field` (a dotted path for nested
 * objects) is a string. Anything else is a reason to report, never a silent default.
 */

export type RecordText = { text: string } | { reason: string };

export function jsonlRecordText(line: string, field: string): RecordText {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return { reason: `invalid JSON: ${(error as Error).message}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { reason: `a JSONL record must be an object, got ${Array.isArray(value) ? 'an array' : typeof value}` };
  }
  let node: unknown = value;
  for (const key of field.split('.')) {
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, key)) {
      return { reason: `missing field '${field}'` };
    }
    node = (node as Record<string, unknown>)[key];
  }
  if (typeof node !== 'string') {
    return { reason: `field '${field}' is ${node === null ? 'null' : typeof node}, not a string` };
  }
  return { text: node };
}

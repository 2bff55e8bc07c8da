/**
 * One streaming pass over the files of a text or JSONL source: yields each document's location and text in file
 * order, and reports every bad input (invalid UTF-8 with its byte offset, a line that is not JSON, a missing
 * field) with its file and line. The loader keeps the locations (its index for shuffled epochs); the shard writer
 * tokenizes the texts. Blank lines separate or skip, they are never documents.
 *
 * Line endings inside a paragraph document ('blank-line') are normalised to "\n"; a whole-file document ('file')
 * is the file's text unchanged.
 */
import { readFile } from 'node:fs/promises';
import { BadInputError, type BadInputLog } from '../bad-input.js';
import type { SourceSpec } from '../source-spec.js';
import type { DocumentLocation } from './document-locations.js';
import { jsonlRecordText } from './jsonl-record.js';
import { type RawLine, readRawLines } from './line-reader.js';
import { decodeUtf8, firstInvalidUtf8Offset } from './utf8.js';

export interface ScannedDocument {
  location: DocumentLocation;
  text: string;
}

const BLANK = /^\s*$/;

function lineOfByte(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (bytes[i] === 0x0a) line++;
  return line;
}

async function* wholeFiles(spec: SourceSpec, files: readonly string[], bad: BadInputLog) {
  for (let f = 0; f < files.length; f++) {
    const file = files[f]!;
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (error) {
      bad.report({ source: spec.name, file, reason: `cannot read file: ${(error as Error).message}` });
      continue;
    }
    const text = decodeUtf8(bytes);
    if (text === null) {
      const at = firstInvalidUtf8Offset(bytes);
      bad.report({ source: spec.name, file, line: lineOfByte(bytes, at), byteOffset: at, reason: 'invalid UTF-8' });
      continue;
    }
    yield { location: { file: f, offset: 0, byteLength: bytes.length, line: 1 }, text };
  }
}

/** The lines of a file with their text — null for invalid UTF-8, already reported with its byte offset. */
async function* decodedLines(
  spec: SourceSpec,
  file: string,
  bad: BadInputLog,
): AsyncGenerator<{ raw: RawLine; text: string | null }> {
  try {
    for await (const raw of readRawLines(file)) {
      const text = decodeUtf8(raw.bytes);
      if (text === null) {
        const byteOffset = raw.offset + firstInvalidUtf8Offset(raw.bytes);
        bad.report({ source: spec.name, file, line: raw.line, byteOffset, reason: 'invalid UTF-8' });
      }
      yield { raw, text };
    }
  } catch (error) {
    if (error instanceof BadInputError) throw error;
    bad.report({ source: spec.name, file, reason: `cannot read file: ${(error as Error).message}` });
  }
}

/** One document per non-blank line: the line itself (text, 'line') or its record's field (JSONL). */
async function* lineDocuments(spec: SourceSpec, files: readonly string[], bad: BadInputLog) {
  const field = spec.field ?? 'text';
  for (let f = 0; f < files.length; f++) {
    const file = files[f]!;
    for await (const { raw, text } of decodedLines(spec, file, bad)) {
      if (text === null || BLANK.test(text)) continue;
      const location = { file: f, offset: raw.offset, byteLength: raw.bytes.length, line: raw.line };
      if (spec.kind !== 'jsonl') {
        yield { location, text };
        continue;
      }
      const record = jsonlRecordText(text, field);
      if ('text' in record) yield { location, text: record.text };
      else bad.report({ source: spec.name, file, line: raw.line, byteOffset: raw.offset, reason: record.reason });
    }
  }
}

/** One document per paragraph (lines between blank lines); a paragraph with an invalid line is left out whole. */
async function* paragraphDocuments(spec: SourceSpec, files: readonly string[], bad: BadInputLog) {
  for (let f = 0; f < files.length; f++) {
    let location: DocumentLocation | null = null;
    let lines: string[] = [];
    let broken = false;
    for await (const { raw, text } of decodedLines(spec, files[f]!, bad)) {
      if (text !== null && BLANK.test(text)) {
        if (location && !broken) yield { location, text: lines.join('\n') };
        location = null;
        lines = [];
        broken = false;
        continue;
      }
      location ??= { file: f, offset: raw.offset, byteLength: 0, line: raw.line };
      location.byteLength = raw.offset + raw.bytes.length - location.offset;
      if (text === null) broken = true;
      else lines.push(text);
    }
    if (location && !broken) yield { location, text: lines.join('\n') };
  }
}

/** The documents of a text or JSONL source, in file order. */
export function scanDocuments(
  spec: SourceSpec,
  files: readonly string[],
  bad: BadInputLog,
): AsyncGenerator<ScannedDocument> {
  if (spec.kind === 'shards') throw new Error(`source '${spec.name}': shards are not scanned as text`);
  if (spec.kind === 'jsonl') return lineDocuments(spec, files, bad);
  const split = spec.textSplit ?? 'file';
  if (split === 'file') return wholeFiles(spec, files, bad);
  return split === 'blank-line' ? paragraphDocuments(spec, files, bad) : lineDocuments(spec, files, bad);
}

/** The text of a document re-read from its bytes (as the scan produced it), or the reason it no longer parses. */
export function documentText(spec: SourceSpec, bytes: Uint8Array): { text: string } | { reason: string } {
  const text = decodeUtf8(bytes);
  if (text === null) return { reason: 'invalid UTF-8 (the file changed since it was indexed)' };
  if (spec.kind === 'jsonl') return jsonlRecordText(text, spec.field ?? 'text');
  if (spec.textSplit === 'blank-line') return { text: text.replace(/\r\n/g, '\n') };
  return { text };
}

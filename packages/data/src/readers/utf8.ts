/**
 * Strict UTF-8 decoding. `TextDecoder` with `fatal: true` refuses invalid bytes but does not say where they are;
 * the position is found afterwards (only on the error path) by bisecting over prefixes decoded in streaming mode,
 * which accepts a truncated trailing sequence but still throws on an invalid one.
 */

const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The text, or null when the bytes are not valid UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string | null {
  try {
    return strict.decode(bytes);
  } catch {
    return null;
  }
}

function prefixIsValid(bytes: Uint8Array, length: number): boolean {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  try {
    decoder.decode(bytes.subarray(0, length), { stream: true });
    return true;
  } catch {
    return false;
  }
}

/**
 * The offset where the first ill-formed sequence of `bytes` starts: the stray byte itself, or the lead byte of a
 * sequence cut short (as in C3 28, reported at C3). A sequence truncated by the end of the bytes is reported at
 * its lead byte too.
 */
export function firstInvalidUtf8Offset(bytes: Uint8Array): number {
  const failing = firstFailingByte(bytes);
  if (decodeUtf8(bytes.subarray(0, failing)) !== null) return failing;
  // The prefix ends inside a multi-byte sequence: back up over its continuation bytes to its lead byte.
  let lead = failing - 1;
  while (lead > 0 && failing - lead < 4 && (bytes[lead]! & 0xc0) === 0x80) lead--;
  return lead;
}

/** The index of the byte at which streaming decoding first fails (bytes.length if only the end is truncated). */
function firstFailingByte(bytes: Uint8Array): number {
  if (prefixIsValid(bytes, bytes.length)) return bytes.length;
  // The smallest prefix length that fails to decode: its last byte is the first bad one.
  let lo = 1;
  let hi = bytes.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (prefixIsValid(bytes, mid)) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

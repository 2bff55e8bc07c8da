/**
 * decode(encode(x)) === x on random Unicode strings for byte-level models (Llama 3: no normalizer; Qwen3: NFC), and
 * the ids agree with the oracle on them. CI runs 2,000 strings; scripts/verify-exactness.mjs runs 100,000.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Tokenizer } from '../src/tokenizer.js';
import { encodingDifference, oracleFromJson } from './helpers/oracle.js';
import { randomString, seeded } from './helpers/random.js';
import { shippedJson } from './helpers/shipped.js';

describe.each(['llama3', 'qwen3'] as const)('%s on random Unicode strings', (name) => {
  const random = seeded(name === 'llama3' ? 1 : 2);
  const inputs = Array.from({ length: 2000 }, () => randomString(random, 60));
  let json: string;
  let tokenizer: Tokenizer;
  beforeAll(() => {
    json = shippedJson(name);
    tokenizer = Tokenizer.fromJSON(json);
  });

  it("round-trips through encode and decode (to the text after the oracle's normalizer)", () => {
    const normalizer = oracleFromJson(json).getNormalizer();
    for (const input of inputs) {
      const expected = normalizer === null ? input : normalizer.normalizeString(input);
      expect(tokenizer.decode(tokenizer.encode(input, { addSpecialTokens: false }).ids)).toBe(expected);
    }
  });

  it('encodes them as the oracle does', async () => {
    const expected = await oracleFromJson(json).encodeBatch(inputs);
    const differences = inputs
      .map((input, i) => encodingDifference(input, expected[i], tokenizer.encode(input)))
      .filter((d) => d !== null);
    expect(differences.slice(0, 3)).toEqual([]);
  });
});

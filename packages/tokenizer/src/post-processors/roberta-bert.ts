/**
 * RobertaProcessing (`<s> A </s>` / `<s> A </s></s> B </s>`, type ids all 0, optional offset trimming) and
 * BertProcessing (`[CLS] A [SEP]` / `[CLS] A [SEP] B [SEP]`, type ids 0 then 1).
 */
import { Encoding } from '../encoding.js';
import { trimAll } from './byte-level.js';
import type { PostProcessor } from './post-processor.js';

type Special = [string, number];

/** Wraps an encoding (and its overflowing windows) between two special tokens. */
function wrap(
  encoding: Encoding,
  before: Special,
  after: Special,
  typeId: number,
  sequence: number,
  idToToken: (id: number) => string | undefined,
): Encoding {
  const make = (e: Encoding) => {
    const c = e.columns();
    const n = c.ids.length;
    const out = new Encoding(
      {
        ids: [before[1], ...c.ids, after[1]],
        typeIds: [typeId, ...c.typeIds, typeId],
        values: [before[0], ...e.tokens, after[0]],
        words: [-1, ...c.words, -1],
        starts: [0, ...c.starts, 0],
        ends: [0, ...c.ends, 0],
        specialTokensMask: [1, ...new Array(n).fill(0), 1],
        attentionMask: new Array(n + 2).fill(1),
      },
      idToToken,
    );
    out.sequenceRanges.set(sequence, [1, n + 1]);
    return out;
  };
  const out = make(encoding);
  out.overflowing = encoding.overflowing.map(make);
  return out;
}

export class RobertaPostProcessor implements PostProcessor {
  readonly type = 'RobertaProcessing';

  constructor(
    readonly sep: Special,
    readonly cls: Special,
    readonly trimOffsets: boolean,
    readonly addPrefixSpace: boolean,
    private readonly idToToken: (id: number) => string | undefined,
  ) {}

  addedTokens(isPair: boolean): number {
    return isPair ? 4 : 2;
  }

  processEncodings(encodings: Encoding[], addSpecialTokens: boolean): Encoding[] {
    if (this.trimOffsets) trimAll(encodings, this.addPrefixSpace);
    for (const e of encodings) e.setTypeIds(0);
    if (!addSpecialTokens) return encodings;
    return encodings.map((e, i) =>
      i === 0 ? wrap(e, this.cls, this.sep, 0, 0, this.idToToken) : wrap(e, this.sep, this.sep, 0, 1, this.idToToken),
    );
  }
}

export class BertPostProcessor implements PostProcessor {
  readonly type = 'BertProcessing';

  constructor(
    readonly sep: Special,
    readonly cls: Special,
    private readonly idToToken: (id: number) => string | undefined,
  ) {}

  addedTokens(isPair: boolean): number {
    return isPair ? 3 : 2;
  }

  processEncodings(encodings: Encoding[], addSpecialTokens: boolean): Encoding[] {
    if (!addSpecialTokens) return encodings;
    return encodings.map((e, i) => {
      if (i === 0) return wrap(e, this.cls, this.sep, 0, 0, this.idToToken);
      // The pair gets only a trailing [SEP].
      const make = (x: Encoding) => {
        const xc = x.columns();
        const m = xc.ids.length;
        const out = new Encoding(
          {
            ids: [...xc.ids, this.sep[1]],
            typeIds: new Array(m + 1).fill(1),
            values: [...x.tokens, this.sep[0]],
            words: [...xc.words, -1],
            starts: [...xc.starts, 0],
            ends: [...xc.ends, 0],
            specialTokensMask: [...new Array(m).fill(0), 1],
            attentionMask: new Array(m + 1).fill(1),
          },
          this.idToToken,
        );
        out.sequenceRanges.set(1, [0, m]);
        return out;
      };
      const out = make(e);
      out.overflowing = e.overflowing.map(make);
      return out;
    });
  }
}

/** Sequence: processors applied one after the other to the list of encodings. */
export class SequencePostProcessor implements PostProcessor {
  readonly type = 'Sequence';

  constructor(readonly members: readonly PostProcessor[]) {}

  addedTokens(isPair: boolean): number {
    return this.members.reduce((n, p) => n + p.addedTokens(isPair), 0);
  }

  processEncodings(encodings: Encoding[], addSpecialTokens: boolean): Encoding[] {
    let out = encodings;
    for (const p of this.members) out = p.processEncodings(out, addSpecialTokens);
    return out;
  }
}

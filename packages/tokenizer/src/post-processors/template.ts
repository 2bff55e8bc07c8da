/**
 * TemplateProcessing: lays out special tokens and the sequences by a template such as `[CLS] $A [SEP] $B:1 [SEP]:1`,
 * each piece with its type id.
 */
import { Encoding } from '../encoding.js';
import type { PostProcessor } from './post-processor.js';

export type TemplatePiece =
  | { kind: 'sequence'; sequence: 0 | 1; typeId: number }
  | { kind: 'special'; id: string; typeId: number };

export interface TemplateSpecialToken {
  id: string;
  ids: number[];
  tokens: string[];
}

export class TemplatePostProcessor implements PostProcessor {
  readonly type = 'TemplateProcessing';

  constructor(
    readonly single: TemplatePiece[],
    readonly pair: TemplatePiece[],
    readonly specialTokens: Map<string, TemplateSpecialToken>,
    private readonly idToToken: (id: number) => string | undefined,
  ) {}

  addedTokens(isPair: boolean): number {
    let n = 0;
    for (const piece of isPair ? this.pair : this.single) {
      if (piece.kind === 'special') n += this.specialTokens.get(piece.id)?.ids.length ?? 0;
    }
    return n;
  }

  processEncodings(encodings: Encoding[], addSpecialTokens: boolean): Encoding[] {
    const template = encodings.length === 2 ? this.pair : this.single;
    const out: Encoding[] = [];
    for (const piece of template) {
      if (piece.kind === 'sequence') {
        const encoding = encodings[piece.sequence];
        encoding.setTypeIds(piece.typeId);
        encoding.setSequenceId(piece.sequence);
        out.push(encoding.clone());
      } else if (addSpecialTokens) {
        const special = this.specialTokens.get(piece.id)!;
        const n = special.ids.length;
        out.push(
          new Encoding(
            {
              ids: [...special.ids],
              typeIds: new Array(n).fill(piece.typeId),
              values: [...special.tokens],
              words: new Array(n).fill(-1),
              starts: new Array(n).fill(0),
              ends: new Array(n).fill(0),
              specialTokensMask: new Array(n).fill(1),
              attentionMask: new Array(n).fill(1),
            },
            this.idToToken,
          ),
        );
      }
    }
    return out;
  }
}

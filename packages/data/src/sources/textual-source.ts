/**
 * A text or JSONL source: indexed by one streaming scan (locations only, 24 bytes a document), read back by
 * offset and tokenized document by document when the loader asks — the streaming pipeline read → decode →
 * tokenize → pack never holds more than the current document.
 */
import type { BadInput, BadInputLog } from '../bad-input.js';
import { DocumentLocations } from '../readers/document-locations.js';
import type { FilePool } from '../readers/file-pool.js';
import { documentText, scanDocuments } from '../readers/scan-documents.js';
import type { SourceSpec } from '../source-spec.js';
import type { DocumentSource, SourceDescription, TextTokenizer } from './document-source.js';

export class TextualSource implements DocumentSource {
  private constructor(
    private readonly spec: SourceSpec,
    private readonly files: readonly string[],
    private readonly locations: DocumentLocations,
    readonly emptyDocuments: number,
    private readonly tokenizer: TextTokenizer,
    private readonly pool: FilePool,
  ) {}

  static async open(
    spec: SourceSpec,
    files: readonly string[],
    tokenizer: TextTokenizer,
    bad: BadInputLog,
    pool: FilePool,
  ): Promise<TextualSource> {
    const locations = new DocumentLocations();
    let empty = 0;
    for await (const doc of scanDocuments(spec, files, bad)) {
      if (doc.text === '') empty++;
      else locations.push(doc.location);
    }
    return new TextualSource(spec, files, locations, empty, tokenizer, pool);
  }

  get name(): string {
    return this.spec.name;
  }

  get documentCount(): number {
    return this.locations.count;
  }

  describe(): SourceDescription {
    return { name: this.spec.name, kind: this.spec.kind, files: [...this.files], documents: this.documentCount };
  }

  async readTokens(d: number): Promise<Int32Array | BadInput> {
    const at = this.locations.get(d);
    const file = this.files[at.file]!;
    const where = { source: this.spec.name, file, line: at.line, byteOffset: at.offset };
    let bytes: Buffer;
    try {
      bytes = await this.pool.read(file, at.offset, at.byteLength);
    } catch (error) {
      return { ...where, reason: `cannot read the indexed document: ${(error as Error).message}` };
    }
    const text = documentText(this.spec, bytes);
    if ('reason' in text) return { ...where, reason: text.reason };
    return Int32Array.from(this.tokenizer.encodeIds(text.text, { addSpecialTokens: false }));
  }

  async close(): Promise<void> {}
}

/** Errors a tokenizer reports. Each names the component or the part of the file at fault. */

/** A tokenizer.json (or a part of it) that cannot be loaded: malformed, inconsistent or unsupported. */
export class TokenizerConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenizerConfigError';
  }
}

/** A component type this implementation does not provide, named as tokenizer.json names it. */
export class UnsupportedComponentError extends TokenizerConfigError {
  constructor(
    /** Where it appears: 'normalizer', 'pre_tokenizer', 'model', 'post_processor' or 'decoder'. */
    readonly section: string,
    /** Its `type` field. */
    readonly componentType: string,
    detail?: string,
  ) {
    super(`unsupported ${section} type '${componentType}'${detail ? `: ${detail}` : ''}`);
    this.name = 'UnsupportedComponentError';
  }
}

/**
 * Chat templates: renders a model's Jinja chat template (from tokenizer_config.json) with @huggingface/jinja the way
 * transformers' `apply_chat_template` does: the messages, `add_generation_prompt`, tools and documents, and the
 * special tokens of the config (bos_token, eos_token, ...) as variables.
 */
import { Template } from '@huggingface/jinja';
import { TokenizerConfigError } from './errors.js';

/** One chat message; templates may read any other field (tool_calls, name, ...). */
export interface ChatMessage {
  role: string;
  content: unknown;
  [field: string]: unknown;
}

export interface ChatTemplateOptions {
  /** End with the prompt that starts the assistant's turn. */
  addGenerationPrompt?: boolean;
  /** Tool (function) definitions, as JSON schemas. */
  tools?: readonly object[];
  /** Documents for retrieval-augmented templates. */
  documents?: readonly object[];
  /** Other variables the template reads (e.g. enable_thinking). */
  variables?: Record<string, unknown>;
}

const SPECIAL_TOKEN_KEYS = ['bos_token', 'eos_token', 'unk_token', 'pad_token', 'sep_token', 'cls_token', 'mask_token'];

export class ChatTemplate {
  private readonly template: Template;

  constructor(
    readonly source: string,
    /** Variables every render receives (the config's special tokens). */
    private readonly constants: Record<string, unknown> = {},
  ) {
    try {
      this.template = new Template(source);
    } catch (error) {
      throw new TokenizerConfigError(`chat template does not parse: ${(error as Error).message}`);
    }
  }

  /**
   * The chat template of a tokenizer_config.json object. When the config holds several named templates, `name`
   * picks one; otherwise 'tool_use' is taken when `forTools` and present, else 'default'.
   */
  static fromTokenizerConfig(
    config: Record<string, unknown>,
    options: { name?: string; forTools?: boolean } = {},
  ): ChatTemplate {
    const raw = config.chat_template;
    let source: string | undefined;
    if (typeof raw === 'string') {
      source = raw;
    } else if (Array.isArray(raw)) {
      const named = new Map<string, string>();
      for (const entry of raw) {
        if (typeof entry?.name === 'string' && typeof entry?.template === 'string')
          named.set(entry.name, entry.template);
      }
      const wanted = options.name ?? (options.forTools && named.has('tool_use') ? 'tool_use' : 'default');
      source = named.get(wanted);
      if (source === undefined) {
        throw new TokenizerConfigError(
          `tokenizer_config.json has no chat template named '${wanted}' (has: ${[...named.keys()].join(', ')})`,
        );
      }
    }
    if (source === undefined) throw new TokenizerConfigError('tokenizer_config.json has no chat_template');
    const constants: Record<string, unknown> = {};
    for (const key of SPECIAL_TOKEN_KEYS) {
      const value = config[key];
      if (typeof value === 'string') constants[key] = value;
      else if (
        typeof value === 'object' &&
        value !== null &&
        typeof (value as { content?: unknown }).content === 'string'
      ) {
        constants[key] = (value as { content: string }).content;
      }
    }
    return new ChatTemplate(source, constants);
  }

  /** Renders the conversation to the text the model was trained on. */
  render(messages: readonly ChatMessage[], options: ChatTemplateOptions = {}): string {
    const variables: Record<string, unknown> = {
      ...this.constants,
      ...options.variables,
      messages,
      add_generation_prompt: options.addGenerationPrompt ?? false,
    };
    if (options.tools !== undefined) variables.tools = options.tools;
    if (options.documents !== undefined) variables.documents = options.documents;
    return this.template.render(variables);
  }
}

/** Renders a chat with the template of a tokenizer_config.json object. */
export function applyChatTemplate(
  config: Record<string, unknown>,
  messages: readonly ChatMessage[],
  options: ChatTemplateOptions & { templateName?: string } = {},
): string {
  return ChatTemplate.fromTokenizerConfig(config, {
    name: options.templateName,
    forTools: options.tools !== undefined,
  }).render(messages, options);
}

/**
 * Chat templates from tokenizer_config.json rendered with @huggingface/jinja: messages, add_generation_prompt and
 * tools, on Qwen3's and Llama 3's real templates; the expected texts are what those templates prescribe. The
 * rendered chat then tokenizes with its special tokens as single ids.
 */
import { describe, expect, it } from 'vitest';
import { applyChatTemplate, ChatTemplate } from '../src/chat-template.js';
import { TokenizerConfigError } from '../src/errors.js';
import { Tokenizer } from '../src/tokenizer.js';
import { shippedConfig, shippedJson } from './helpers/shipped.js';

const CHAT = [
  { role: 'system', content: 'You are helpful.' },
  { role: 'user', content: 'Hi!' },
  { role: 'assistant', content: 'Hello.' },
  { role: 'user', content: 'Weather?' },
];

const TOOL = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Get weather',
    parameters: { type: 'object', properties: { city: { type: 'string' } } },
  },
};

describe('Qwen3 chat template', () => {
  const template = ChatTemplate.fromTokenizerConfig(shippedConfig('qwen3'));

  it('renders a conversation with the generation prompt', () => {
    expect(template.render(CHAT, { addGenerationPrompt: true })).toBe(
      '<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n' +
        '<|im_start|>assistant\nHello.<|im_end|>\n<|im_start|>user\nWeather?<|im_end|>\n<|im_start|>assistant\n',
    );
    expect(template.render(CHAT.slice(0, 2))).toBe(
      '<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n',
    );
  });

  it('lists tools in the system turn', () => {
    const text = template.render([{ role: 'user', content: 'Weather in Paris?' }], {
      addGenerationPrompt: true,
      tools: [TOOL],
    });
    expect(text.startsWith('<|im_start|>system\n# Tools\n\nYou may call one or more functions')).toBe(true);
    expect(text).toContain(
      '<tools>\n{"type": "function", "function": {"name": "get_weather", "description": "Get weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}\n</tools>',
    );
    expect(text.endsWith('<|im_start|>user\nWeather in Paris?<|im_end|>\n<|im_start|>assistant\n')).toBe(true);
  });

  it('renders tool calls and tool results', () => {
    const text = template.render([
      { role: 'user', content: 'Weather in Paris?' },
      {
        role: 'assistant',
        content: '',
        tool_calls: [{ type: 'function', function: { name: 'get_weather', arguments: { city: 'Paris' } } }],
      },
      { role: 'tool', content: '18°C' },
    ]);
    expect(text).toContain('<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>');
    expect(text).toContain('<|im_start|>user\n<tool_response>\n18°C\n</tool_response><|im_end|>');
  });

  it('tokenizes its special tokens as single ids', () => {
    const tokenizer = Tokenizer.fromJSON(shippedJson('qwen3'));
    const ids = tokenizer.encode(template.render(CHAT, { addGenerationPrompt: true })).ids;
    const imStart = tokenizer.tokenToId('<|im_start|>')!;
    expect(ids.filter((id) => id === imStart)).toHaveLength(5);
  });
});

describe('Llama 3 chat template', () => {
  it('prefixes bos_token from the config', () => {
    expect(applyChatTemplate(shippedConfig('llama3'), CHAT.slice(0, 2), { addGenerationPrompt: true })).toBe(
      '<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are helpful.<|eot_id|>' +
        '<|start_header_id|>user<|end_header_id|>\n\nHi!<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n',
    );
  });
});

describe('chat template selection and errors', () => {
  const config = {
    bos_token: { content: '<s>' },
    chat_template: [
      { name: 'default', template: '{{ bos_token }}{% for m in messages %}[{{ m.role }}]{{ m.content }}{% endfor %}' },
      { name: 'tool_use', template: 'TOOLS:{{ tools | length }}' },
    ],
  };

  it('picks the named template, tool_use when tools are given', () => {
    expect(applyChatTemplate(config, [{ role: 'user', content: 'x' }])).toBe('<s>[user]x');
    expect(applyChatTemplate(config, [], { tools: [TOOL, TOOL] })).toBe('TOOLS:2');
    expect(applyChatTemplate(config, [], { templateName: 'tool_use', tools: [] })).toBe('TOOLS:0');
  });

  it('passes extra variables', () => {
    const t = new ChatTemplate('{% if enable_thinking %}think{% else %}no{% endif %}');
    expect(t.render([], { variables: { enable_thinking: false } })).toBe('no');
  });

  it('says what is missing', () => {
    expect(() => ChatTemplate.fromTokenizerConfig({})).toThrow(/no chat_template/);
    expect(() => applyChatTemplate(config, [], { templateName: 'rag' })).toThrow(/no chat template named 'rag'/);
    expect(() => new ChatTemplate('{% for %}')).toThrow(TokenizerConfigError);
  });
});

/**
 * The test corpus: every 20th line of the shared corpus (../shared/corpus), committed under test/fixtures so the
 * tests run the same on a clean clone (scripts/make-corpus-sample.mjs writes it; scripts/verify-exactness.mjs runs
 * the whole corpus). Plus the adversarial strings.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const CORPUS_DIR = fileURLToPath(new URL('../fixtures/corpus-sample/', import.meta.url));

export const CORPUS_FILES = ['messages-multilingual.txt', 'code-python.txt', 'english-licenses.txt'] as const;

export function corpusPath(file: (typeof CORPUS_FILES)[number]): string {
  return `${CORPUS_DIR}${file}`;
}

export function corpusText(file: (typeof CORPUS_FILES)[number]): string {
  return readFileSync(corpusPath(file), 'utf8');
}

/** Every `stride`-th line of each sample file, plus a few multi-line chunks of each (whole documents). */
export function corpusSample(stride: number, chunkCount = 3, chunkSize = 4000): string[] {
  const out: string[] = [];
  for (const file of CORPUS_FILES) {
    const text = corpusText(file);
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i += stride) out.push(lines[i]);
    for (let k = 0; k < chunkCount; k++) {
      const start = Math.floor((text.length / chunkCount) * k);
      out.push(text.slice(start, start + chunkSize));
    }
  }
  return out;
}

/** Inputs that stress Unicode, whitespace and special-token handling. */
export const ADVERSARIAL: readonly string[] = [
  '',
  ' ',
  '   leading and trailing   ',
  '\t\ttabs\tand  spaces \u00a0nbsp\u3000ideographic',
  'CRLF\r\nline\r\n\r\nbreaks\n\n\nand\rlone\rCR',
  ' '.repeat(300),
  '\n'.repeat(50),
  `${' \n'.repeat(40)}x`,
  '👩‍👩‍👧‍👦 family, 🏳️‍🌈 flag, 👍🏽 skin tone, 🇫🇷 regional indicators, 1️⃣ keycap',
  'e\u0301 a\u0316\u0301 q\u0307\u0323 \u1e0b\u0323 o\u0308\u0304 Z\u0335\u0336\u0337 combining',
  'Z̸̢̛̺̮̙͔̱̫̼̬̰̳̖̥͔̻̀̀̈́̔͆̾̈̽̚a̴̡̭̤͚̗͕͓̫̤̩̦̿͛̍̇̆̈́l̵̢̛͖̘͚̠̪̗̣̙̜̃̒̍̋̕g̶̡̛̗̩̟̪̜̳̤̤̞̓̆͑̍̃͘ö̵̢̮̞̻͔́̈͑̓̑',
  'lone \ud800 high, lone \udc00 low, pair reversed \udc00\ud800, ok 😀',
  '\u212b \u2126 \ufb01 \u2460 \u00bd \u3392 \uac00\u11a8 \u1100\u1161\u11a8 compatibility',
  '0 12 345 6789 1234567890 3.14159 -42 1e10 0x1F ٣٤٥ १२३ ²³ ½',
  "don't I'M we'VE they'Re it'S 'll 'd 'ſ 'K x'y",
  '<|im_end|><|im_start|>user<|endoftext|> <|begin_of_text|>x<|end_of_text|>',
  '<|im_end <im_end|> <| im_end |> <<|im_end|>> <|IM_END|> <|endoftext',
  '>>ABSTRACT<< >>INTRODUCTION<<text>>SUMMARY<<',
  'mixed: Ελληνικά русский עברית العربية हिन्दी தமிழ் 中文字符 日本語のテキスト 한국어',
  'x'.repeat(2000),
  'ab'.repeat(700),
  '\u0000\u0001\u001f\u007f\u0085\u200b\u200c\u200d\u2028\u2029\ufeff\ufffd controls',
  'a\u0301\u0301\u0301\u0301\u0301\u0301\u0301\u0301 stacked',
  '\u{1F600}\u{1F601}\u{10FFFD}\u{E0001}\u{1D11E} astral',
  'tabs\t\t\tbefore\tafter\t',
  '....!!!???,,,;;;:::---___===+++***///\\\\\\|||@@@###$$$%%%^^^&&&(((()))[[[]]]{{{}}}',
  'URL https://example.com/path?q=1&r=2#frag and email a.b@c.de',
  'def f(x):\n    return x ** 2  # comment\n\n\tpass\n',
];

/**
 * Unicode general categories as Hugging Face's tokenizers sees them through Oniguruma (Unicode 16.0), independent of
 * the Unicode version of the JavaScript engine: `\p{L}` in a tokenizer.json regex must mean exactly what it means to
 * the Rust library, including for characters assigned since.
 */
import { CATEGORY_LETTERS, CATEGORY_NAMES, CATEGORY_RUNS } from './unicode-data.generated.js';

type CategoryName = (typeof CATEGORY_NAMES)[number];

let table: Uint8Array | undefined;

function decode(): Uint8Array {
  const out = new Uint8Array(0x110000);
  let cp = 0;
  let lengthStart = 0;
  for (let i = 0; i < CATEGORY_RUNS.length; i++) {
    const category = CATEGORY_LETTERS.indexOf(CATEGORY_RUNS[i]);
    if (category < 0) continue;
    const length = Number.parseInt(CATEGORY_RUNS.slice(lengthStart, i), 36);
    out.fill(category, cp, cp + length);
    cp += length;
    lengthStart = i + 1;
  }
  if (cp !== 0x110000) throw new Error(`general category table covers ${cp} code points, expected 0x110000`);
  table = out;
  return out;
}

/** The general category table, one byte per code point (index into CATEGORY_NAMES). */
export function categoryTable(): Uint8Array {
  return table ?? decode();
}

/**
 * A bit mask of categories for a property name as regexes write it: a category (`Lu`), a major class (`L`, `N`),
 * or a long name (`Letter`, `Uppercase_Letter`). Returns undefined for names that are not general categories.
 */
export function categoryMask(name: string): number | undefined {
  const normalized = name.replace(/[\s_-]/g, '').toLowerCase();
  const short = LONG_NAMES[normalized] ?? name;
  let mask = 0;
  CATEGORY_NAMES.forEach((category, index) => {
    if (category === short || (short.length === 1 && category[0] === short)) mask |= 1 << index;
  });
  if (short === 'LC') mask = maskOf(['Lu', 'Ll', 'Lt']);
  return mask === 0 ? undefined : mask;
}

function maskOf(names: readonly CategoryName[]): number {
  let mask = 0;
  for (const name of names) mask |= 1 << CATEGORY_NAMES.indexOf(name);
  return mask;
}

const LONG_NAMES: Record<string, string> = {
  letter: 'L',
  l: 'L',
  casedletter: 'LC',
  uppercaseletter: 'Lu',
  lowercaseletter: 'Ll',
  titlecaseletter: 'Lt',
  modifierletter: 'Lm',
  otherletter: 'Lo',
  mark: 'M',
  combiningmark: 'M',
  nonspacingmark: 'Mn',
  spacingmark: 'Mc',
  enclosingmark: 'Me',
  number: 'N',
  decimalnumber: 'Nd',
  letternumber: 'Nl',
  othernumber: 'No',
  punctuation: 'P',
  connectorpunctuation: 'Pc',
  dashpunctuation: 'Pd',
  openpunctuation: 'Ps',
  closepunctuation: 'Pe',
  initialpunctuation: 'Pi',
  finalpunctuation: 'Pf',
  otherpunctuation: 'Po',
  symbol: 'S',
  mathsymbol: 'Sm',
  currencysymbol: 'Sc',
  modifiersymbol: 'Sk',
  othersymbol: 'So',
  separator: 'Z',
  spaceseparator: 'Zs',
  lineseparator: 'Zl',
  paragraphseparator: 'Zp',
  other: 'C',
  control: 'Cc',
  format: 'Cf',
  surrogate: 'Cs',
  privateuse: 'Co',
  unassigned: 'Cn',
};

export const LETTER_MASK = maskOf(['Lu', 'Ll', 'Lt', 'Lm', 'Lo']);
export const NUMBER_MASK = maskOf(['Nd', 'Nl', 'No']);

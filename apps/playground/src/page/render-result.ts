/** The playground's result as HTML: per forward row its next token and top logits, then the generated tokens. */
import type { PlaygroundResult } from '../run-playground.js';

const TOP = 5;

function element(tag: string, text?: string, children: Node[] = []): HTMLElement {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  e.append(...children);
  return e;
}

function row(cells: string[], tag = 'td'): HTMLElement {
  return element(
    'tr',
    undefined,
    cells.map((c) => element(tag, c)),
  );
}

/** The `TOP` largest logits of the last position of forward row `b`, as [token, logit]. */
function topLogits(result: PlaygroundResult, b: number): Array<[number, number]> {
  const [, t, v] = result.logitsShape;
  const last = result.logits.subarray((b * t + t - 1) * v, (b * t + t) * v);
  return Array.from(last, (logit, token): [number, number] => [token, logit])
    .sort((x, y) => y[1] - x[1])
    .slice(0, TOP);
}

export function renderResult(result: PlaygroundResult): HTMLElement {
  const forward = element('table', undefined, [
    row(['row', 'next token', ...Array.from({ length: TOP }, (_, i) => `top ${i + 1} (token: logit)`)], 'th'),
    ...result.nextTokens.map((next, b) =>
      row([String(b + 1), String(next), ...topLogits(result, b).map(([tok, l]) => `${tok}: ${l.toFixed(4)}`)]),
    ),
  ]);
  const generated = element('table', undefined, [
    row(['prompt', 'generated tokens'], 'th'),
    ...result.generated.map((tokens, p) => row([String(p + 1), tokens.join(', ')])),
  ]);
  return element('div', undefined, [
    element('h2', 'Forward: next token after each row'),
    forward,
    element('h2', 'Greedy generation'),
    generated,
  ]);
}

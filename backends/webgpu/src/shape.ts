/** Shape arithmetic on the host: sizes, strides, broadcasting and dimension collapsing for the indexers. */

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function stridesOf(shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    out[i] = s;
    s *= shape[i]!;
  }
  return out;
}

export function broadcastShape(...shapes: ReadonlyArray<readonly number[]>): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    let d = 1;
    for (const s of shapes) {
      const v = s[s.length - rank + i] ?? 1;
      if (v !== 1) {
        if (d !== 1 && d !== v)
          throw new Error(`shapes [${shapes.map((x) => x.join(',')).join('] [')}] do not broadcast`);
        d = v;
      }
    }
    out.push(d);
  }
  return out;
}

/** Strides of `shape` read as broadcast to `outShape` (0 on stretched or missing dimensions). */
export function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const strides = stridesOf(shape);
  const offset = outShape.length - shape.length;
  return outShape.map((_, i) => {
    const j = i - offset;
    if (j < 0) return 0;
    return shape[j] === 1 ? 0 : strides[j]!;
  });
}

/**
 * Merges adjacent dimensions of an index space whose every operand walks them contiguously (and drops size-1
 * dimensions), so that the GPU indexer decodes as few dimensions as possible. `strides` holds one stride list per
 * operand (0 for broadcast). Returns the collapsed shape and strides (at least one dimension).
 */
export function collapse(
  shape: readonly number[],
  strides: ReadonlyArray<readonly number[]>,
): { shape: number[]; strides: number[][] } {
  const dims: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i]!;
    if (d === 1) continue;
    const last = dims.length - 1;
    if (last >= 0 && strides.every((s, k) => outStrides[k]![last] === s[i]! * d)) {
      dims[last]! *= d;
      strides.forEach((s, k) => {
        outStrides[k]![last] = s[i]!;
      });
      continue;
    }
    dims.push(d);
    strides.forEach((s, k) => {
      outStrides[k]!.push(s[i]!);
    });
  }
  if (dims.length === 0) return { shape: [1], strides: strides.map(() => [0]) };
  return { shape: dims, strides: outStrides };
}

/** Pads an index space to rank 8 at the front (size 1, stride 0). */
export function pad8(values: readonly number[], fill: number): number[] {
  if (values.length > 8) throw new Error(`webgpu: rank ${values.length} exceeds the indexers' 8 dimensions`);
  return [...values, ...new Array<number>(8 - values.length).fill(fill)];
}

/**
 * Programs: a WGSL shader (one file per op under shaders/, embedded at build time into generated/shaders.ts) plus
 * what its dispatch binds. The shader files hold the computation; this module writes the declarations around it:
 * `enable f16;` where needed, the element-type aliases, the `Params` uniform struct and the storage bindings, so
 * that each op's TypeScript only says what it binds and how big the grid is (tfjs' kernels/*.ts vs *_webgpu.ts).
 *
 * Layout of the uniform struct: `u8` fields (8 u32 values, e.g. a shape or strides padded to rank 8) first, as
 * `array<vec4<u32>, 2>`, then 4-byte scalars. Read entry d of a u8 field as `P.shape[d / 4u][d % 4u]`.
 */
import { SHADERS, type ShaderName } from './generated/shaders.js';

/** WGSL scalar element types of storage arrays (u8 tensors are stored one element per u32). */
export type Elem = 'f32' | 'f16' | 'i32' | 'u32';

export interface BindingDef {
  readonly name: string;
  readonly elem: Elem;
  /** Read-only storage (inputs) or read-write (outputs). */
  readonly write?: boolean;
  /** Declare as array<atomic<u32>> (float atomics via compare-exchange). */
  readonly atomic?: boolean;
  /**
   * Declare as array<vec4<elem>>: 16-byte loads (8 for f16) for bandwidth-bound kernels. Buffers are bound whole
   * from offset 0 and their pool capacities are multiples of 16 bytes, so the last full vector is addressable.
   */
  readonly vec4?: boolean;
}

export type UniformType = 'u32' | 'i32' | 'f32' | 'u8';

export interface ProgramDef {
  /** The .wgsl file under shaders/. */
  readonly shader: ShaderName;
  /** Distinguishes variants of one shader beyond its bindings' element types (op, flags, sizes). */
  readonly variant?: string;
  readonly bindings: readonly BindingDef[];
  readonly uniforms: ReadonlyArray<readonly [string, UniformType]>;
  /** Module-scope WGSL put before the shader (aliases, consts, op functions). */
  readonly header?: string;
  /** Workgroup size (x only): exposed to the shader as `const WG: u32`. */
  readonly workgroupSize: number;
}

export function programKey(def: ProgramDef): string {
  const b = def.bindings
    .map((x) => `${x.name}:${x.elem}${x.write ? 'w' : ''}${x.atomic ? 'a' : ''}${x.vec4 ? 'v' : ''}`)
    .join(',');
  return `${def.shader}|${def.variant ?? ''}|${b}|${def.workgroupSize}|${def.header ?? ''}`;
}

/** Byte offsets of each uniform field and the struct's size. */
export interface UniformLayout {
  readonly fields: ReadonlyArray<{ name: string; type: UniformType; offset: number }>;
  readonly size: number;
}

export function uniformLayout(def: ProgramDef): UniformLayout {
  const arrays = def.uniforms.filter(([, t]) => t === 'u8');
  const scalars = def.uniforms.filter(([, t]) => t !== 'u8');
  const fields: Array<{ name: string; type: UniformType; offset: number }> = [];
  let offset = 0;
  for (const [name, type] of arrays) {
    fields.push({ name, type, offset });
    offset += 32;
  }
  for (const [name, type] of scalars) {
    fields.push({ name, type, offset });
    offset += 4;
  }
  return { fields, size: Math.max(16, Math.ceil(offset / 16) * 16) };
}

/** The full WGSL source of a program. */
export function programSource(def: ProgramDef): string {
  const usesF16 =
    def.bindings.some((b) => b.elem === 'f16') ||
    /\bf16\b/.test(def.header ?? '') ||
    /\bf16\b/.test(SHADERS[def.shader]);
  const lines: string[] = [];
  if (usesF16) lines.push('enable f16;');
  // Subgroup built-ins need the extension enabled (the device has the 'subgroups' feature where such a shader runs).
  // (Calls and built-in parameters only: comments may name them.)
  if (/\bsubgroup[A-Z]\w*\s*\(|@builtin\(subgroup_/.test(SHADERS[def.shader])) lines.push('enable subgroups;');
  const layout = uniformLayout(def);
  lines.push('struct Params {');
  for (const f of layout.fields) lines.push(`  ${f.name}: ${f.type === 'u8' ? 'array<vec4<u32>, 2>' : f.type},`);
  if (layout.fields.length === 0) lines.push('  unused: u32,');
  lines.push('}');
  lines.push('@group(0) @binding(0) var<uniform> P: Params;');
  def.bindings.forEach((b, i) => {
    const elem = b.atomic ? `atomic<${b.elem}>` : b.vec4 ? `vec4<${b.elem}>` : b.elem;
    lines.push(
      `@group(0) @binding(${i + 1}) var<storage, ${b.write ? 'read_write' : 'read'}> ${b.name}: array<${elem}>;`,
    );
  });
  lines.push(`const WG: u32 = ${def.workgroupSize}u;`);
  lines.push(SHADERS.common);
  if (def.header) lines.push(def.header);
  lines.push(SHADERS[def.shader]);
  return lines.join('\n');
}

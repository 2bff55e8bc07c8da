/**
 * Finding a WebGPU implementation and a device: `navigator.gpu` in browsers (and Deno), the `webgpu` npm package
 * (Google's Dawn) in Node. Device limits are read from the adapter and raised to what it offers, so that the
 * kernels may bind large buffers and many storage buffers; the backend then respects the limits it was granted.
 */

/** Numeric WebGPU flags (the globals GPUBufferUsage etc. do not exist in Node unless installed). */
export const BufferUsage = {
  MAP_READ: 0x0001,
  COPY_SRC: 0x0004,
  COPY_DST: 0x0008,
  UNIFORM: 0x0040,
  STORAGE: 0x0080,
} as const;
export const MapMode = { READ: 0x0001 } as const;
export const ShaderStage = { COMPUTE: 0x4 } as const;

export interface AcquiredDevice {
  readonly device: GPUDevice;
  readonly adapterInfo: GPUAdapterInfo | undefined;
  readonly features: ReadonlySet<string>;
  /** Where the GPU object came from: 'navigator.gpu' or 'dawn (webgpu npm package)'. */
  readonly source: string;
  /** The subgroup size the kernels' subgroup forms use, when they are on (see `AcquireOptions.subgroups`). */
  readonly subgroupSize?: number;
}

export interface AcquireOptions {
  /**
   * Subgroup operations in the kernels that have a subgroup form (today the decode matrix-vector product: its
   * lanes' sums by subgroupAdd instead of workgroup memory), used where the adapter offers 'subgroups' with one
   * fixed subgroup size that divides 32 (NVIDIA 32, lavapipe 8) — on by default (on the H200 the form took 15 % less
   * GPU time per decode step's matrix-vector products, BENCHMARKS.md); `false` here, or FALCON_WEBGPU_SUBGROUPS=0 in
   * Node, keeps the workgroup form everywhere.
   */
  subgroups?: boolean;
  /**
   * Ask for WebGPU's default limits instead of everything the adapter offers (`true` here, or
   * FALCON_WEBGPU_DEFAULT_LIMITS=1 in Node): the floor every device meets — 8 storage buffers per stage, as some
   * browsers give — so a GPU with higher limits can run the kernels' low-limit forms (e.g. SsmDecodeStep's two
   * dispatches) and the compositions the backend falls back to there.
   */
  defaultLimits?: boolean;
}

/** Dawn's GPU object must stay referenced for the life of the process, or Dawn crashes at garbage collection. */
let dawnGpu: GPU | undefined;

interface NodeRuntime {
  process?: { versions?: { node?: string }; env?: Record<string, string | undefined> };
}

async function findGpu(): Promise<{ gpu: GPU; source: string }> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) return { gpu: nav.gpu, source: 'navigator.gpu' };
  const runtime = globalThis as NodeRuntime;
  if (!runtime.process?.versions?.node) {
    throw new Error('no WebGPU here: navigator.gpu is missing (a browser without WebGPU, or WebGPU disabled)');
  }
  if (!dawnGpu) {
    let mod: { create(flags: string[]): GPU };
    const name = 'webgpu';
    try {
      mod = (await import(/* @vite-ignore */ name)) as typeof mod;
    } catch (error) {
      throw new Error(`cannot load the 'webgpu' npm package (Dawn) for WebGPU in Node: ${(error as Error).message}`);
    }
    // Dawn's flags, separated by spaces (a flag's value is itself a comma-separated list), e.g.
    // FALCON_WEBGPU_DAWN_FLAGS='enable-dawn-features=skip_validation,disable_robustness'.
    const flags = (runtime.process.env?.FALCON_WEBGPU_DAWN_FLAGS ?? '').split(/\s+/).filter(Boolean);
    dawnGpu = mod.create(flags);
  }
  return { gpu: dawnGpu, source: 'dawn (webgpu npm package)' };
}

/** The limits this backend asks for: everything the adapter offers that the kernels can use. */
const RAISED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupsPerDimension',
  'minUniformBufferOffsetAlignment',
] as const;

/** Requests an adapter and a device; throws an Error that says why when there is none. */
export async function acquireDevice(options: AcquireOptions = {}): Promise<AcquiredDevice> {
  const { gpu, source } = await findGpu();
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) {
    const hint =
      source === 'navigator.gpu'
        ? 'the browser offers no WebGPU adapter (Chromium: --enable-unsafe-webgpu and a Vulkan or SwiftShader adapter)'
        : 'Dawn found no Vulkan/Metal/D3D12 adapter; on Debian 12 without a GPU install Mesa 25 lavapipe (Debian 12 ' +
          "ships Mesa 22.3, which Dawn refuses): `node backends/webgpu/scripts/lavapipe.mjs` in the falcon-h1 repository, or 'apt-get " +
          "install -t bookworm-backports mesa-vulkan-drivers'";
    throw new Error(`no WebGPU adapter: ${hint}`);
  }
  const features = new Set<string>();
  const wanted: GPUFeatureName[] = [];
  if (adapter.features.has('shader-f16')) wanted.push('shader-f16');
  // Timed graph replays (WebGPUBackend.profileNextReplay); costs nothing until a query set is made.
  if (adapter.features.has('timestamp-query')) wanted.push('timestamp-query');
  const subgroupSize = fixedSubgroupSize(adapter, options);
  if (subgroupSize !== undefined) wanted.push('subgroups' as GPUFeatureName);
  const requiredLimits: Record<string, number> = {};
  const defaults =
    options.defaultLimits ?? (globalThis as NodeRuntime).process?.env?.FALCON_WEBGPU_DEFAULT_LIMITS === '1';
  for (const name of defaults ? [] : RAISED_LIMITS) {
    const value = adapter.limits[name];
    if (typeof value === 'number') requiredLimits[name] = value;
  }
  const device = await adapter.requestDevice({ requiredFeatures: wanted, requiredLimits });
  for (const f of device.features) features.add(f);
  const info = (adapter as { info?: GPUAdapterInfo }).info;
  return {
    device,
    adapterInfo: info,
    features,
    source,
    subgroupSize: subgroupSize !== undefined && features.has('subgroups') ? subgroupSize : undefined,
  };
}

/** The adapter's subgroup size when subgroups are asked for and usable (one fixed size dividing 32), else undefined. */
function fixedSubgroupSize(adapter: GPUAdapter, options: AcquireOptions): number | undefined {
  const env = (globalThis as NodeRuntime).process?.env;
  const asked = options.subgroups ?? env?.FALCON_WEBGPU_SUBGROUPS !== '0';
  if (!asked || !adapter.features.has('subgroups')) return undefined;
  const info = (adapter as { info?: { subgroupMinSize?: number; subgroupMaxSize?: number } }).info;
  const size = info?.subgroupMinSize;
  if (size === undefined || size !== info?.subgroupMaxSize || size < 4 || 32 % size !== 0) return undefined;
  return size;
}

/** A one-line description of the adapter, e.g. 'WebGPU llvmpipe (LLVM 15.0.6, 256 bits) [mesa, cpu] via dawn'. */
export function describeAdapter(acquired: AcquiredDevice): string {
  const info = acquired.adapterInfo;
  const name = info?.description || info?.device || info?.architecture || 'unknown adapter';
  const extra = [info?.vendor, info?.architecture].filter((s): s is string => !!s).join(', ');
  return `WebGPU ${name}${extra ? ` [${extra}]` : ''} via ${acquired.source}`;
}

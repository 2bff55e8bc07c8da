/**
 * Graph capture on WebGPU (core's `BackendGraphCapture`, what CUDA Graphs are to the CUDA backend). A decode step
 * of a 0.5B-shaped model is ~2,000 dispatches; encoded eagerly, each one costs the host a bind-group lookup (or a
 * creation), a uniform write and three encoder calls through Dawn, and the host — not the GPU — sets the pace.
 *
 * Capturing: while a `GraphRecorder` is installed, the backend's kernels allocate their outputs and choose their
 * programs exactly as they do eagerly, but every dispatch (pipeline, bound buffers, workgroup grid — a split grid is
 * one dispatch with a 2-D grid) and every buffer copy (`overwrite`, Copy) is appended to the recording instead of an
 * encoder: nothing runs (a captured step would otherwise advance the state it updates in place once more than its
 * replays do). Each dispatch's uniforms go to the recording's own parameter slab. Buffers freed during capture are
 * held by the recording, never returned to the pool, so no later tensor can take memory the replays write.
 *
 * Compiling (`end`): the slab becomes the graph's own uniform buffer (uploaded once), each dispatch gets a bind
 * group over it (one per distinct (program, uniforms' offset, buffers); see below), and the command list becomes
 * flat arrays per compute pass (copies sit between passes). Replaying is then a tight loop of setPipeline (only when it changes) / setBindGroup /
 * dispatchWorkgroups into the backend's open encoder: no pipeline, bind group or uniform work per replay. The host's
 * encoding per dispatch paces a replayed decode step (~500 dispatches for a 0.5B model), and in the `webgpu`
 * package each argument of those calls crosses N-API and Dawn validates each dynamic offset: so each dispatch gets
 * a bind group of its own with its uniforms' offset baked in (its program's fixed-offset form) and is bound with
 * no offsets (a program without that form: a one-element offset array made here — the 5-argument typed-array form
 * of setBindGroup costs more), and dispatchWorkgroups is called with the grid's trailing 1s left out.
 * tools/webgpu/bench-replay-host.mjs measures the host's time per replayed dispatch.
 *
 * Profiling (`timedReplay`, where the device has 'timestamp-query'): a run recorded by `encodeTimed` with every
 * dispatch in a compute pass of its own whose `timestampWrites` (a `DispatchTimer`) stamp its start and end on the
 * GPU; the per-dispatch times, summed per program (`timingsByProgram`), say which kernels a decode step's GPU time
 * goes to. The run computes exactly what `encode`'s does (one pass per dispatch only adds time between dispatches).
 */
import { BufferUsage, MapMode } from './gpu.js';

/** What the recorder needs of a compiled program. */
export interface GraphProgram {
  readonly pipeline: GPUComputePipeline;
  /** Its bind group layout: the uniforms at binding 0 with a dynamic offset. */
  readonly layout: GPUBindGroupLayout;
  /**
   * The same program with the uniforms at a fixed offset (made on first use): a graph's dispatch then gets a bind
   * group of its own, its uniforms' offset baked in, and the replay binds it with no dynamic offset. Without it,
   * the graph binds `layout`'s groups at dynamic offsets.
   */
  readonly fixedOffsetForm?: () => { readonly pipeline: GPUComputePipeline; readonly layout: GPUBindGroupLayout };
  /** Bytes of the program's uniform struct (the size bound at binding 0). */
  readonly uniformBytes: number;
  readonly name: string;
}

/** A buffer bound by a recorded dispatch, with the byte range bound (the pool's whole bucket, as eagerly). */
export interface GraphBinding {
  readonly buffer: GPUBuffer;
  readonly capacity: number;
}

/** Typed views of a parameter slab, the target of the backend's uniform writer. */
export interface UniformSlab {
  readonly u32: Uint32Array;
  readonly i32: Int32Array;
  readonly f32: Float32Array;
}

interface RecordedDispatch {
  readonly kind: 'dispatch';
  readonly program: GraphProgram;
  readonly buffers: readonly GraphBinding[];
  readonly paramsOffset: number;
  readonly grid: readonly [number, number, number];
}

interface RecordedCopy {
  readonly kind: 'copy';
  readonly src: GPUBuffer;
  readonly srcOffset: number;
  readonly dst: GPUBuffer;
  readonly dstOffset: number;
  readonly bytes: number;
}

/** Consecutive dispatches of one compute pass, as flat arrays for the replay loop. */
interface ComputeRun {
  readonly kind: 'pass';
  /** The pipeline of each dispatch, or null where it is the previous dispatch's (no setPipeline). */
  readonly pipelines: ReadonlyArray<GPUComputePipeline | null>;
  readonly groups: readonly GPUBindGroup[];
  /**
   * Dynamic offset of each dispatch's uniforms in the graph's parameter buffer, as setBindGroup's array, or null
   * where the dispatch's bind group has its offset baked in.
   */
  readonly offsets: ReadonlyArray<readonly [number] | null>;
  /** x, y, z workgroups of each dispatch. */
  readonly grids: Uint32Array;
  /** Arguments dispatchWorkgroups takes for each dispatch: 1 (y = z = 1), 2 (z = 1) or 3. */
  readonly dims: Uint8Array;
}

/** Anything the recording keeps alive until the graph is released (the backend's pool entries). */
export interface HeldBuffer {
  readonly buffer: GPUBuffer;
  readonly capacity: number;
}

const INITIAL_SLAB = 64 * 1024;

/** The dispatches and copies of one capture, in order, with their uniforms and the buffers freed meanwhile. */
export class GraphRecorder {
  private slabBytes = new ArrayBuffer(INITIAL_SLAB);
  private views: UniformSlab = slabViews(this.slabBytes);
  private used = 0;
  private readonly commands: Array<RecordedDispatch | RecordedCopy> = [];
  /** Buffers freed while capturing: the recorded commands may still name them. */
  readonly held: HeldBuffer[] = [];

  constructor(private readonly align: number) {}

  /** Reserves an aligned uniform slot of `bytes`; returns its offset (write it through `slab` afterwards). */
  reserve(bytes: number): number {
    const slot = Math.ceil(bytes / this.align) * this.align;
    const offset = this.used;
    if (offset + slot > this.slabBytes.byteLength) {
      const grown = new ArrayBuffer(Math.max(this.slabBytes.byteLength * 2, offset + slot));
      new Uint8Array(grown).set(new Uint8Array(this.slabBytes, 0, offset));
      this.slabBytes = grown;
      this.views = slabViews(grown);
    }
    this.used = offset + slot;
    return offset;
  }

  /** The parameter slab's views (valid until the next `reserve`). */
  get slab(): UniformSlab {
    return this.views;
  }

  dispatch(
    program: GraphProgram,
    buffers: readonly GraphBinding[],
    paramsOffset: number,
    grid: readonly [number, number, number],
  ): void {
    this.commands.push({ kind: 'dispatch', program, buffers, paramsOffset, grid });
  }

  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    this.commands.push({ kind: 'copy', src, srcOffset, dst, dstOffset, bytes });
  }

  hold(entry: HeldBuffer): void {
    this.held.push(entry);
  }

  /** The replayable graph: its uniform buffer uploaded, its bind groups created, its passes flattened. */
  compile(gpu: GPUDevice, label: string): CompiledGraph {
    const paramsBytes = Math.max(16, Math.ceil(this.used / 16) * 16);
    const params = gpu.createBuffer({
      label: `${label} params`,
      size: paramsBytes,
      usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST,
    });
    if (this.used > 0) gpu.queue.writeBuffer(params, 0, this.slabBytes, 0, this.used);
    const cache = new Map<string, GPUBindGroup>();
    const bufferIds = new Map<GPUBuffer, number>();
    const programIds = new Map<GraphProgram, number>();
    const idOf = <K>(map: Map<K, number>, key: K): number => {
      let id = map.get(key);
      if (id === undefined) {
        id = map.size;
        map.set(key, id);
      }
      return id;
    };
    const steps: Array<ComputeRun | RecordedCopy> = [];
    const programs: string[] = [];
    let run: RecordedDispatch[] = [];
    const closeRun = (): void => {
      if (!run.length) return;
      const pipelines: Array<GPUComputePipeline | null> = [];
      const groups: GPUBindGroup[] = [];
      const offsets: Array<[number] | null> = [];
      const grids = new Uint32Array(run.length * 3);
      const dims = new Uint8Array(run.length);
      let previous: GPUComputePipeline | undefined;
      run.forEach((d, i) => {
        const fixed = d.program.fixedOffsetForm?.();
        const pipeline = fixed?.pipeline ?? d.program.pipeline;
        const buffers = d.buffers.map((b) => idOf(bufferIds, b.buffer)).join(',');
        const key = `${idOf(programIds, d.program)}:${fixed ? d.paramsOffset : 'dynamic'}:${buffers}`;
        let group = cache.get(key);
        if (!group) {
          group = gpu.createBindGroup({
            label: `${label} ${d.program.name}`,
            layout: fixed?.layout ?? d.program.layout,
            entries: [
              {
                binding: 0,
                resource: { buffer: params, offset: fixed ? d.paramsOffset : 0, size: d.program.uniformBytes },
              },
              ...d.buffers.map((b, j) => ({
                binding: j + 1,
                resource: { buffer: b.buffer, offset: 0, size: b.capacity },
              })),
            ],
          });
          cache.set(key, group);
        }
        pipelines.push(pipeline === previous ? null : pipeline);
        previous = pipeline;
        groups.push(group);
        offsets.push(fixed ? null : [d.paramsOffset]);
        grids.set(d.grid, i * 3);
        dims[i] = d.grid[2] !== 1 ? 3 : d.grid[1] !== 1 ? 2 : 1;
        programs.push(d.program.name);
      });
      steps.push({ kind: 'pass', pipelines, groups, offsets, grids, dims });
      run = [];
    };
    for (const c of this.commands) {
      if (c.kind === 'dispatch') run.push(c);
      else {
        closeRun();
        steps.push(c);
      }
    }
    closeRun();
    return new CompiledGraph(steps, params, this.held, programs, cache.size);
  }
}

/** A captured step ready to replay (see the module comment). */
export class CompiledGraph {
  /** Dispatches one replay records. */
  readonly dispatches: number;
  /** Buffer copies one replay records. */
  readonly copies: number;
  /** Compute passes one replay opens. */
  readonly passes: number;

  constructor(
    private readonly steps: ReadonlyArray<ComputeRun | RecordedCopy>,
    private readonly params: GPUBuffer,
    /** Buffers freed during capture, returned to the pool on release. */
    readonly held: readonly HeldBuffer[],
    /** The program of each dispatch, in order (for profiles: `dispatchesByProgram`). */
    readonly programs: readonly string[],
    /** Bind groups created for the graph. */
    readonly bindGroups: number,
  ) {
    let dispatches = 0;
    let copies = 0;
    let passes = 0;
    for (const s of steps) {
      if (s.kind === 'pass') {
        passes++;
        dispatches += s.groups.length;
      } else copies++;
    }
    this.dispatches = dispatches;
    this.copies = copies;
    this.passes = passes;
  }

  /** Records one run of the graph into `encoder` (no pass may be open on it). */
  encode(encoder: GPUCommandEncoder): void {
    for (const step of this.steps) {
      if (step.kind === 'copy') {
        encoder.copyBufferToBuffer(step.src, step.srcOffset, step.dst, step.dstOffset, step.bytes);
        continue;
      }
      const { pipelines, groups, offsets, grids, dims } = step;
      const pass = encoder.beginComputePass();
      for (let i = 0, n = groups.length; i < n; i++) {
        const pipeline = pipelines[i];
        if (pipeline) pass.setPipeline(pipeline);
        const offset = offsets[i];
        if (offset) pass.setBindGroup(0, groups[i]!, offset);
        else pass.setBindGroup(0, groups[i]!);
        const dim = dims[i];
        if (dim === 1) pass.dispatchWorkgroups(grids[i * 3]!);
        else if (dim === 2) pass.dispatchWorkgroups(grids[i * 3]!, grids[i * 3 + 1]!);
        else pass.dispatchWorkgroups(grids[i * 3]!, grids[i * 3 + 1]!, grids[i * 3 + 2]!);
      }
      pass.end();
    }
  }

  /**
   * Records one run of the graph into `encoder` like `encode`, but every dispatch in a compute pass of its own that
   * writes `timer`'s timestamps before and after it (the timer must have room for `dispatches`).
   */
  encodeTimed(encoder: GPUCommandEncoder, timer: DispatchTimer): void {
    if (timer.dispatches < this.dispatches) {
      throw new Error(`encodeTimed: a timer of ${timer.dispatches} dispatches for a graph of ${this.dispatches}`);
    }
    let index = 0;
    let pipeline: GPUComputePipeline | undefined;
    for (const step of this.steps) {
      if (step.kind === 'copy') {
        encoder.copyBufferToBuffer(step.src, step.srcOffset, step.dst, step.dstOffset, step.bytes);
        continue;
      }
      const { pipelines, groups, offsets, grids } = step;
      for (let i = 0, n = groups.length; i < n; i++, index++) {
        // A new pass starts without a pipeline: set the dispatch's own (null means "the previous one's").
        pipeline = pipelines[i] ?? pipeline;
        const pass = encoder.beginComputePass({ timestampWrites: timer.timestampWrites(index) });
        pass.setPipeline(pipeline!);
        const offset = offsets[i];
        if (offset) pass.setBindGroup(0, groups[i]!, offset);
        else pass.setBindGroup(0, groups[i]!);
        pass.dispatchWorkgroups(grids[i * 3]!, grids[i * 3 + 1]!, grids[i * 3 + 2]!);
        pass.end();
      }
    }
  }

  /** Frees the graph's uniform buffer (the caller returns `held` to its pool). */
  destroy(): void {
    this.params.destroy();
  }
}

/** Per-program dispatch counts of a list of program names, most frequent first. */
export function countPrograms(programs: readonly string[]): Record<string, number> {
  const counts = new Map<string, number>();
  for (const p of programs) counts.set(p, (counts.get(p) ?? 0) + 1);
  return Object.fromEntries([...counts].sort((a, b) => b[1] - a[1]));
}

/** GPUBufferUsage.QUERY_RESOLVE (not among gpu.ts's flags). */
const QUERY_RESOLVE = 0x0200;
/** Timestamps per query set: WebGPU caps a set at 4,096 queries, two per dispatch. */
const DISPATCHES_PER_SET = 2048;

/**
 * GPU timestamps for `dispatches` dispatches (two each: start and end of the dispatch's pass), in query sets of at
 * most 4,096. Use: `encodeTimed(encoder, timer)`, then `timer.resolve(encoder)` on the same encoder, submit, and
 * `await timer.read()`. Needs a device created with the 'timestamp-query' feature.
 */
export class DispatchTimer {
  private readonly sets: GPUQuerySet[] = [];
  private readonly resolved: GPUBuffer;
  private readonly readable: GPUBuffer;

  constructor(
    device: GPUDevice,
    readonly dispatches: number,
  ) {
    if (!device.features.has('timestamp-query')) {
      throw new Error("DispatchTimer: the device was created without the 'timestamp-query' feature");
    }
    for (let first = 0; first < dispatches; first += DISPATCHES_PER_SET) {
      const count = 2 * Math.min(DISPATCHES_PER_SET, dispatches - first);
      this.sets.push(device.createQuerySet({ label: 'falcon-h1 dispatch timer', type: 'timestamp', count }));
    }
    const bytes = Math.max(8, 16 * dispatches);
    this.resolved = device.createBuffer({ size: bytes, usage: QUERY_RESOLVE | BufferUsage.COPY_SRC });
    this.readable = device.createBuffer({ size: bytes, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
  }

  /** The `timestampWrites` of dispatch `index`'s compute pass. */
  timestampWrites(index: number): GPUComputePassTimestampWrites {
    const slot = index % DISPATCHES_PER_SET;
    return {
      querySet: this.sets[Math.floor(index / DISPATCHES_PER_SET)]!,
      beginningOfPassWriteIndex: 2 * slot,
      endOfPassWriteIndex: 2 * slot + 1,
    };
  }

  /** Records the copy of every timestamp into a buffer the host can map (after the timed work, same encoder). */
  resolve(encoder: GPUCommandEncoder): void {
    this.sets.forEach((set, i) => {
      encoder.resolveQuerySet(set, 0, set.count, this.resolved, i * DISPATCHES_PER_SET * 16);
    });
    encoder.copyBufferToBuffer(this.resolved, 0, this.readable, 0, 16 * this.dispatches);
  }

  /** Each dispatch's GPU time in µs (end − start of its pass), once the resolving work has been submitted. */
  async read(): Promise<Float64Array> {
    await this.readable.mapAsync(MapMode.READ);
    const stamps = new BigUint64Array(this.readable.getMappedRange().slice(0, 16 * this.dispatches));
    this.readable.unmap();
    return Float64Array.from({ length: this.dispatches }, (_, i) => Number(stamps[2 * i + 1]! - stamps[2 * i]!) / 1000);
  }

  destroy(): void {
    for (const set of this.sets) set.destroy();
    this.resolved.destroy();
    this.readable.destroy();
  }
}

/** One program's share of a timed replay. */
export interface ProgramTiming {
  dispatches: number;
  /** Summed GPU time of its dispatches, µs. */
  totalUs: number;
  meanUs: number;
  maxUs: number;
}

/** One timed run of a graph (`timedReplay`): GPU µs per program, the largest total first, and their sum. */
export interface GraphReplayProfile {
  dispatches: number;
  totalUs: number;
  programs: Record<string, ProgramTiming>;
}

/**
 * Records a timed run of `graph` into `encoder` (`encodeTimed`, then the timestamps' resolve) and calls `submit`,
 * which must submit that encoder; resolves with the per-program GPU times once the run has executed. The run
 * computes what a replay computes (state updated in place advances once more).
 */
export async function timedReplay(
  device: GPUDevice,
  graph: CompiledGraph,
  encoder: GPUCommandEncoder,
  submit: () => void,
): Promise<GraphReplayProfile> {
  const timer = new DispatchTimer(device, graph.dispatches);
  try {
    graph.encodeTimed(encoder, timer);
    timer.resolve(encoder);
    submit();
    const micros = await timer.read();
    const totalUs = micros.reduce((a, b) => a + b, 0);
    return { dispatches: graph.dispatches, totalUs, programs: timingsByProgram(graph.programs, micros) };
  } finally {
    timer.destroy();
  }
}

/** Per-dispatch times (µs, in dispatch order) summed per program name, the largest total first. */
export function timingsByProgram(
  programs: readonly string[],
  micros: ArrayLike<number>,
): Record<string, ProgramTiming> {
  const byName = new Map<string, ProgramTiming>();
  programs.forEach((name, i) => {
    const us = micros[i]!;
    const t = byName.get(name) ?? { dispatches: 0, totalUs: 0, meanUs: 0, maxUs: 0 };
    t.dispatches++;
    t.totalUs += us;
    t.maxUs = Math.max(t.maxUs, us);
    byName.set(name, t);
  });
  for (const t of byName.values()) t.meanUs = t.totalUs / t.dispatches;
  return Object.fromEntries([...byName].sort((a, b) => b[1].totalUs - a[1].totalUs));
}

function slabViews(bytes: ArrayBuffer): UniformSlab {
  return { u32: new Uint32Array(bytes), i32: new Int32Array(bytes), f32: new Float32Array(bytes) };
}

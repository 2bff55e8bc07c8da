/** What the planner knows of a cluster: GPUs, their memory and speed, and the two link levels between them. */

export interface ClusterSpec {
  readonly gpus: number;
  readonly gpusPerNode: number;
  /** Usable memory per GPU (bytes), after the framework's and NCCL's own. */
  readonly memoryBytes: number;
  /** Dense bf16 tensor-core peak per GPU (FLOP/s). */
  readonly peakFlops: number;
  /** Fraction of peak that large GEMMs reach. */
  readonly gemmEfficiency: number;
  /** Bus bandwidth of collectives inside a node (bytes/s per GPU; NVLink). */
  readonly intraNodeBandwidth: number;
  /** Bus bandwidth of collectives across nodes (bytes/s per GPU; InfiniBand). */
  readonly interNodeBandwidth: number;
  /** Latency of one small message (s), e.g. a state passed between context-parallel ranks. */
  readonly messageLatency: number;
}

/** H100 SXM 80 GB nodes of 8, NVLink 4 (~360 GB/s bus bandwidth measured by nccl-tests) and 8×400 Gb/s IB. */
export function h100Cluster(gpus: number): ClusterSpec {
  return {
    gpus,
    gpusPerNode: 8,
    memoryBytes: 76e9,
    peakFlops: 989e12,
    gemmEfficiency: 0.6,
    intraNodeBandwidth: 360e9,
    interNodeBandwidth: 45e9,
    messageLatency: 20e-6,
  };
}

/**
 * Context parallelism: the ranks of a group hold consecutive pieces of every sequence (rank r: tokens
 * [r·T/W, (r+1)·T/W)) and the whole model. Per layer:
 *
 * - attention: each rank projects its tokens' q, k, v (RoPE at their global, per-document positions), all-gathers
 *   k and v along T, and attends with its queries as the last of the keys up to its own end — causal and
 *   document-masked exactly as on one device (the all-gather form of context-parallel attention; backward
 *   reduce-scatters the keys' and values' gradients to their owners);
 * - Mamba2: the recurrence passes its state between ranks in rank order — the seminar's "same state passing as
 *   between chunks": rank r receives from r − 1 the conv state (the last K pre-conv columns) and the SSM state
 *   after r − 1's last token, runs the mixer from that state, and sends its own final state on; a row whose
 *   document changes exactly at the rank boundary starts from zeros (the document reset), and the states the
 *   mixer returns already hold only the last document's columns. Backward passes the states' gradients back in
 *   reverse rank order;
 * - norms, MLP, embedding and loss are token-wise: each rank computes its own tokens.
 *
 * Every parameter is replicated with a partial gradient (each rank sees other tokens): gradients are summed over
 * the group through the data-parallel buckets, issued during the backward pass.
 */
import { add, dispose, mul, ones, scale, sliceAxis, type Tensor, tensor, type Variable } from '@falcon-h1/core-tensor';
import type { FalconH1ForCausalLM } from '@falcon-h1/hybrid-block';
import { ssmComputeDType } from '@falcon-h1/mamba2';
import { gatherAlong, recvTensor, sendTensor } from '../autograd/differentiable-collectives.js';
import { SegmentTape } from '../autograd/segment-tape.js';
import type { Communicator } from '../communicator.js';
import { GradientBuckets } from '../data-parallel/gradient-buckets.js';
import { causalLmEnds, embeddingSegment, lossSegment } from '../model/causal-lm-ends.js';
import { layerParameters } from '../model/layer-parameters.js';
import { cutBatch, evenRange, type HostBatch, type TokenBatch, tokenBatch } from '../model/token-batch.js';
import { attendAndProject, keysValuesQueries } from './split-attention.js';

export interface ContextParallelBatch extends TokenBatch {
  /** Document ids of the keys this rank attends to: tokens [0, end of this rank's piece). */
  readonly keySeqIdx?: Tensor;
  /** Per row, 1 where this piece's first token continues the previous rank's document, else 0 ([B] host values). */
  readonly continues: Float64Array;
}

/** Rank `comm.rank`'s piece of the whole batch. */
export function contextParallelBatch(host: HostBatch, comm: Communicator): ContextParallelBatch {
  const [t0, t1] = evenRange(host.length, comm.worldSize, comm.rank, 'context parallelism: sequence');
  const piece = tokenBatch(cutBatch(host, [0, host.batch], [t0, t1]));
  const continues = new Float64Array(host.batch);
  for (let b = 0; b < host.batch; b++) {
    const first = b * host.length + t0;
    continues[b] = t0 > 0 && (!host.seqIdx || host.seqIdx[first] === host.seqIdx[first - 1]) ? 1 : 0;
  }
  const keys = cutBatch(host, [0, host.batch], [0, t1]);
  const keySeqIdx = keys.seqIdx && tensor(keys.seqIdx, [host.batch, t1], 'i32');
  return { ...piece, keySeqIdx, continues };
}

export interface ContextParallelOptions {
  /** Values per gradient bucket (the sum over the group). Default 2²⁰. */
  bucketElements?: number;
  /**
   * The ranks over which gradients and the loss are summed: the context-parallel group itself (default), or its
   * data-parallel replicas too (`DeviceMesh.replicas`, DP × CP).
   */
  replicas?: Communicator;
}

/** Forward and backward over the group: the whole batch's loss and the summed gradient of every parameter. */
export async function contextParallelForwardBackward(
  comm: Communicator,
  model: FalconH1ForCausalLM,
  batch: ContextParallelBatch,
  options: ContextParallelOptions = {},
): Promise<{ loss: number; gradients: Map<Variable, Tensor> }> {
  const replicas = options.replicas ?? comm;
  const buckets = new GradientBuckets(replicas, 'allReduce', options.bucketElements ?? 1 << 20);
  // The state chain of the backward pass (receive from r + 1, the mixer, send to r − 1) runs rank after rank; a
  // bucket's all-reduce issued inside it would wait for ranks still waiting on this one — a deadlock on NCCL's
  // stream-ordered communicators. So gradients that become final are queued and handed to the buckets at the
  // layer's quiet point (after its sends to r − 1) and at the end: the same collectives, in the same order.
  const ready: Array<[Variable, Tensor]> = [];
  const issueReady = (): void => {
    for (const [p, g] of ready.splice(0)) buckets.add(p, g);
  };
  const tape = new SegmentTape(new Map(), { onGradientReady: (p, g) => ready.push([p, g]) });
  const config = model.config;
  if (config.block_layout !== 'SA_M') {
    throw new Error(`context parallelism supports the published SA_M layout, not ${config.block_layout}`);
  }
  const [rows, length] = batch.ids.shape as [number, number];
  const { rank, worldSize } = comm;
  const keyLength = (rank + 1) * length;
  const dtype = model.dtype;
  const convShape = [rows, config.mamba_d_ssm + 2 * config.mamba_n_groups * config.mamba_d_state, config.mamba_d_conv];
  const ssmShape = [rows, config.mamba_n_heads, config.mamba_d_head, config.mamba_d_state];
  const continues = tensor(batch.continues, [rows, 1, 1], dtype);
  const continuesSsm = tensor(batch.continues, [rows, 1, 1, 1], ssmComputeDType(dtype));

  let h = embeddingSegment(tape, causalLmEnds(model), batch);
  for (const [i, layer] of model.model.layers.entries()) {
    const parameters = (...prefixes: string[]) => layerParameters(model.parameters, i, prefixes);
    const [n] = tape.segment(([x]) => [layer.input_layernorm.forward(x!)], [h], parameters('input_layernorm.'));

    // Attention: local q, k, v; every rank's k and v; attention over the keys up to this piece's end.
    const [q, k, v] = tape.segment(
      ([x, positions]) => keysValuesQueries(layer.self_attn, scale(x!, layer.attention_in_multiplier), positions!),
      [n!, batch.positions],
      parameters('self_attn.q_proj.', 'self_attn.k_proj.', 'self_attn.v_proj.'),
    );
    const keys = await gatherAlong(tape, comm, k!, 1);
    const values = await gatherAlong(tape, comm, v!, 1);
    const documents = batch.seqIdx && batch.keySeqIdx ? [batch.seqIdx, batch.keySeqIdx] : [];
    const [a] = tape.segment(
      ([query, allKeys, allValues, qSeq, kSeq]) => {
        const seqIdx = qSeq && kSeq ? { queries: qSeq, keys: kSeq } : undefined;
        const out = attendAndProject(
          layer.self_attn,
          query!,
          sliceAxis(allKeys!, 1, 0, keyLength),
          sliceAxis(allValues!, 1, 0, keyLength),
          seqIdx,
        );
        return [scale(out, layer.attn_out_multiplier)];
      },
      [q!, keys, values, ...documents],
      parameters('self_attn.o_proj.'),
    );

    // Mamba2: the state after the previous rank's last token, reset where a document starts at the boundary.
    // (Backward, this marker runs after the state gradients went to r − 1: the buckets may issue from here.)
    tape.communication([], [], async () => {
      issueReady();
      return [];
    });
    let stateIn: Tensor[] = [];
    if (rank > 0) {
      const conv = await recvTensor(tape, comm, rank - 1, convShape, dtype);
      const ssm = await recvTensor(tape, comm, rank - 1, ssmShape, ssmComputeDType(dtype));
      stateIn = tape.segment(([c, s]) => [mul(c!, continues), mul(s!, continuesSsm)], [conv, ssm]);
    }
    const [s, convOut, ssmOut] = tape.segment(
      ([x, conv, ssm]) => {
        const state = conv && ssm ? { convState: conv, ssmState: ssm } : undefined;
        const result = layer.mamba.forward(x!, { seqIdx: batch.seqIdx, state, returnState: true });
        return [scale(result.out, layer.ssm_out_multiplier), result.state!.convState, result.state!.ssmState];
      },
      [n!, ...stateIn],
      parameters('mamba.'),
    );
    if (rank < worldSize - 1) {
      await sendTensor(tape, comm, convOut!, rank + 1);
      await sendTensor(tape, comm, ssmOut!, rank + 1);
    }

    [h] = tape.segment(
      ([x, ssmBranch, attentionBranch]) => {
        const mixed = add(x!, add(ssmBranch!, attentionBranch!));
        return [add(mixed, layer.feed_forward.forward(layer.pre_ff_layernorm!.forward(mixed)))];
      },
      [h, s!, a!],
      parameters('pre_ff_layernorm.', 'feed_forward.'),
    );
  }
  const share = lossSegment(tape, causalLmEnds(model), h, batch);
  const seed = ones([], share.dtype, share.backend);
  await tape.backward([[share, seed]]);
  issueReady();
  buckets.flush(); // before the gradients it still holds are disposed below
  const total = await replicas.allReduce(share);
  const loss = (await total.data())[0] as number;
  dispose([seed, total, continues, continuesSsm, ...tape.gradients.values()]);
  tape.dispose();
  return { loss, gradients: await buckets.summedGradients() };
}

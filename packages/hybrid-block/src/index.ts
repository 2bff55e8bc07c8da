/**
 * @falcon-h1/hybrid-block — the Falcon-H1 decoder layer (SA_M, plus SAM and S_A_M for ablations) and
 * FalconH1ForCausalLM: config parsing as transformers 5, presets and parameter counts, Hugging Face checkpoints,
 * the hybrid cache and generation. Written against @falcon-h1/core-tensor, @falcon-h1/mamba2 and
 * @falcon-h1/attention only.
 */

/** The npm name of this package. */
export const PACKAGE_NAME = '@falcon-h1/hybrid-block';

export { type BatchLayout, type BatchLayoutOptions, resolveBatchLayout } from './batch-layout.js';
export { BLOCK_LAYOUTS, type BlockLayout, layoutNorms } from './block-layout.js';
export { causalLmLoss, IGNORE_INDEX } from './causal-lm-loss.js';
export { checkpointProblems, type TensorHeader } from './checkpoint/check-checkpoint.js';
export { CheckpointError } from './checkpoint/checkpoint-error.js';
export { type ComputeDType, type LoadOptions, loadFalconH1, readFalconH1Config } from './checkpoint/load-checkpoint.js';
export { type SavedCheckpoint, type SaveOptions, saveFalconH1 } from './checkpoint/save-checkpoint.js';
export { decodeFloat, encodeFloat, parsePythonJson } from './config/config-json-text.js';
export { falconH1ConfigJsonText, falconH1ConfigToJson, TORCH_DTYPE_NAMES } from './config/config-to-json.js';
export {
  DEFAULT_ROPE_THETA,
  eosTokenIds,
  type FalconH1Config,
  FalconH1ConfigError,
  parseFalconH1Config,
  parseFalconH1ConfigJson,
  validateFalconH1Config,
} from './config/falcon-h1-config.js';
export { FALCON_H1_SIZES, type FalconH1Preset, type FalconH1Size, falconH1Preset } from './config/presets.js';
export {
  type DecoderLayerCache,
  decoderLayerParameterShapes,
  FalconH1DecoderLayer,
  type LayerContext,
} from './falcon-h1-decoder-layer.js';
export {
  type CausalLmForwardOptions,
  type CausalLmOutput,
  FalconH1ForCausalLM,
} from './falcon-h1-for-causal-lm.js';
export { FalconH1MLP, type MlpDecodeConstants, type MlpDecodeOptions, mlpParameterShapes } from './falcon-h1-mlp.js';
export { FalconH1Model, type ModelForwardOptions, type ModelOutput } from './falcon-h1-model.js';
export { FalconH1RMSNorm, type PendingResidual } from './falcon-h1-rms-norm.js';
export {
  type FinishReason,
  type GenerationOptions,
  type GenerationResult,
  type GenerationStep,
  generate,
  generateStream,
} from './generation/generate.js';
export { leftPadBatch, type PaddedBatch } from './generation/left-pad-batch.js';
export { argMaxOf, chooseToken, type SamplingOptions, validateSamplingOptions } from './generation/sampling.js';
export { StaticDecoder, type StaticDecoderOptions, type StaticDecodeStep } from './generation/static-decoder.js';
export { FalconH1HybridCache, type HybridLayerCache } from './hybrid-cache.js';
export {
  disposeInferenceConstants,
  gradientTapeRecording,
  type InferenceConstants,
  modelInferenceConstants,
} from './inference-constants.js';
export {
  disposeLayerDecodeConstants,
  type LayerDecodeConstants,
  layerDecodeConstants,
} from './layer-decode-constants.js';
export { falconH1ParameterCount, falconH1ParameterShapes, parameterProvider } from './model-parameters.js';
export { type RandomParameterOptions, randomFalconH1, randomFalconH1Parameters } from './random-parameters.js';
export { type SeededRandom, seededRandom } from './seeded-random.js';

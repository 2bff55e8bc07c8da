/**
 * @falcon-h1/mamba2 — the Mamba2 mixer of Falcon-H1 (chunked SSD scan, conv and SSM states, document resets),
 * written against @falcon-h1/core-tensor only.
 */

/** The npm name of this package. */
export const PACKAGE_NAME = '@falcon-h1/mamba2';

export {
  FalconH1Mixer,
  type InPlaceStepInputs,
  type MixerForwardOptions,
  type MixerOutput,
} from './falcon-h1-mixer.js';
export {
  disposeMambaState,
  emptyMambaState,
  type InPlaceMambaState,
  inPlaceMambaState,
  isInPlaceMambaState,
  type MambaLayerState,
  ssmComputeDType,
} from './mamba-state.js';
export { type FalconH1MixerConfig, type MixerSizes, mixerSizes } from './mixer-config.js';
export {
  type DecodeProjection,
  disposeMixerDecodeConstants,
  type MixerDecodeConstants,
  type MixerDecodeConstantsOptions,
  mixerDecodeConstants,
  projectionTensors,
  scaledInProj,
  scaledProjection,
} from './mixer-decode-constants.js';
export { mixerParameterShapes, type ParameterProvider, type ParameterShape } from './mixer-parameters.js';
export { computeMupVector, inProjSegments, segmentMultipliers } from './mup-vector.js';

/**
 * @falcon-h1/mup: μP as Falcon-H1 trains it — the forward multipliers of the config, the seminar's parameter groups
 * with learning-rate and weight-decay multipliers from log2 tables, μP width scaling against a base shape, dt
 * dampening, the WSD schedule and batch-size ramps. The optimizer itself (AdamW over groups, clipping,
 * accumulation, loss scaling, master weights) is in @falcon-h1/core-tensor.
 */

/** The npm name of this package. */
export const PACKAGE_NAME = '@falcon-h1/mup';

export {
  type CoordinateCheckOptions,
  type CoordinateRecord,
  coordinateCheck,
  coordinateCheckConfig,
  type Parametrization,
} from './coordinate-check.js';
export { dtDampening, withDtDampening } from './dt-dampening.js';
export {
  FORWARD_MULTIPLIERS,
  type ForwardMultiplier,
  forwardMultiplier,
  forwardMultipliers,
  withForwardMultipliers,
} from './forward-multipliers.js';
export {
  applyForwardTable,
  EMPTY_MUP_TABLE,
  forwardTableFromConfig,
  lrMultiplier,
  type MupTable,
  MupTableError,
  mergeMupTables,
  parseMupTable,
  parseMupTableText,
  wdMultiplier,
} from './multiplier-table.js';
export { type MupParamGroup, type MupParamGroupOptions, mupParamGroups } from './mup-param-groups.js';
export {
  groupParameterNames,
  MUP_GROUP_DESCRIPTIONS,
  MUP_GROUPS,
  type MupGroup,
  type MupKind,
  type ParameterGroupInfo,
  parameterGroup,
} from './parameter-groups.js';
export {
  type BatchSizeRampOptions,
  rampedBatchSize,
  sqrtBatchScaledLr,
  validateBatchSizeRamp,
} from './schedules/batch-size-ramp.js';
export { type DecayShape, validateWsd, type WsdOptions, wsdFactor, wsdLearningRate } from './schedules/wsd.js';
export { SEMINAR_STAGE_COUNT, type SeminarStage, seminarMupTable, seminarStages } from './seminar-preset.js';
export {
  mupInitialParameters,
  type ParameterWidthScale,
  scaleForwardMultipliers,
  widthScaling,
} from './width-scaling.js';

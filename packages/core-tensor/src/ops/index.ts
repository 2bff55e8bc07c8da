/** Every user-facing op. */
export * from './create.js';
export * from './elementwise.js';
export * from './fused/adamw.js';
export * from './fused/attention.js';
export * from './fused/causal-conv1d.js';
export * from './fused/cross-entropy.js';
export * from './fused/rms-norm.js';
export * from './fused/rope.js';
export * from './fused/softmax.js';
export * from './fused/ssm-scan.js';
export * from './layout.js';
export * from './matmul.js';
export * from './reduce.js';
export * from './reshape.js';
export * from './variable.js';

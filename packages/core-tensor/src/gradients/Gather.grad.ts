/** d gather(table, indices): dy scatter-added into a zero table (duplicate indices accumulate); indices get none. */
import { registerGradient } from '../engine.js';
import { scatterAdd } from '../ops/layout.js';
import { outputGrad, savedInput } from './grad-helpers.js';

registerGradient('Gather', (dys, node) => {
  const table = savedInput(node, 'table');
  return { table: scatterAdd(outputGrad(dys, node), savedInput(node, 'indices'), table.shape[0]!) };
});

/** d scatterAdd(updates, indices): each update row receives the dy row it was added into (a gather); indices get none. */
import { registerGradient } from '../engine.js';
import { gather } from '../ops/layout.js';
import { outputGrad, savedInput } from './grad-helpers.js';

registerGradient('ScatterAdd', (dys, node) => ({
  updates: gather(outputGrad(dys, node), savedInput(node, 'indices')),
}));

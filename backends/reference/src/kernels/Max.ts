import { reduceKernel } from './elementwise-factories.js';

export const max = reduceKernel('Max');

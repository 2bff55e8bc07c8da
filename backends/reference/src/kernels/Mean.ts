import { reduceKernel } from './elementwise-factories.js';

export const mean = reduceKernel('Mean');

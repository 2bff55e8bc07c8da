import { reduceKernel } from './elementwise-factories.js';

export const sum = reduceKernel('Sum');

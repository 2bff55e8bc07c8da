import { sigmoidOf } from './activations.js';
import { unaryKernel } from './elementwise-factories.js';

/** 1/(1+e^-x). */
export const sigmoid = unaryKernel('Sigmoid', sigmoidOf);

/**
 * @falcon-h1/playground: the browser playground (private, never published). The page (src/page, static/) runs a
 * Falcon-H1 model on WebGPU in the browser; src/server bundles it and serves it with model directories. The
 * pieces a page needs without the DOM are exported here.
 */

/** The npm name of this package. */
export const PACKAGE_NAME = '@falcon-h1/playground';

export { loadFalconH1FromUrl, type UrlLoadOptions } from './load-model-from-url.js';
export { type PlaygroundRequest, type PlaygroundResult, parseTokenRows, runPlayground } from './run-playground.js';

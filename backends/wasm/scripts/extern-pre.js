// Prepended to the emscripten ES-module glue (--extern-pre-js): the glue expects CommonJS's `require`,
// `__filename` and `__dirname` when it runs in Node (reading nothing from disk here: the wasm is embedded), and
// the pthread worker imports this same module. Browsers skip all of it.
const __fhIsNode =
  typeof process === 'object' && typeof process.versions === 'object' && typeof process.versions.node === 'string';
// biome-ignore lint/correctness/noUnusedVariables: read by the emscripten glue this file is prepended to
const require = __fhIsNode ? (await import('node:module')).createRequire(import.meta.url) : undefined;
const __filename = __fhIsNode ? (await import('node:url')).fileURLToPath(import.meta.url) : '';
const __dirname = __fhIsNode ? (await import('node:path')).dirname(__filename) : '';

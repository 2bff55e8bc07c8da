/** Bundles `entry` (a path) into the ES module `outfile` (see bundle-sources.mjs). */
export function bundleSources(entry: string, outfile: string): Promise<void>;

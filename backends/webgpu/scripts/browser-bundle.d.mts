import type { BuildOptions } from 'esbuild';

export declare function bundleForBrowser(entry: string, outfile: string, extra?: BuildOptions): Promise<void>;

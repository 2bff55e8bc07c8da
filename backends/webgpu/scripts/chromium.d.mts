import type { BrowserContext } from 'playwright-core';

export declare const CHROMIUM_PATH: string;
export declare const WEBGPU_CHROMIUM_FLAGS: readonly string[];
export declare function launchWebGPUChromium(
  executablePath?: string,
): Promise<{ context: BrowserContext; close(): Promise<void> }>;

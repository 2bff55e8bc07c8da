/**
 * Vitest global setup: a Vulkan driver for Dawn (the `webgpu` npm package) in the test processes, which start
 * after it — the webgpu backend's own setup (backends/webgpu/scripts/lavapipe.mjs: Mesa 25 lavapipe where the
 * machine has no usable driver). Chromium's WebGPU in the page test uses its bundled SwiftShader instead.
 */
export default async function setup(): Promise<void> {
  // @ts-expect-error: a plain .mjs script without type declarations.
  const { lavapipeEnv } = (await import('../../../backends/webgpu/scripts/lavapipe.mjs')) as {
    lavapipeEnv(options: { log(m: string): void }): { env: Record<string, string>; note: string };
  };
  try {
    Object.assign(process.env, lavapipeEnv({ log: (m) => console.log(m) }).env);
  } catch (error) {
    console.warn(`playground tests: no Vulkan driver could be provided: ${(error as Error).message}`);
  }
}

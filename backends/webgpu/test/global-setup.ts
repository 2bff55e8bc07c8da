/** Vitest global setup: the Vulkan driver environment (scripts/lavapipe.mjs) for the forked test processes. */
export default async function setup(): Promise<void> {
  // @ts-expect-error: a plain .mjs script without type declarations.
  const { lavapipeEnv } = (await import('../scripts/lavapipe.mjs')) as {
    lavapipeEnv(options: { log(m: string): void }): { env: Record<string, string>; note: string };
  };
  try {
    const { env } = lavapipeEnv({ log: (m) => console.log(m) });
    Object.assign(process.env, env);
  } catch (error) {
    console.warn(`webgpu tests: no Vulkan driver could be provided: ${(error as Error).message}`);
  }
}

/** Input checks shared by the kernel glue (core validates shapes; these name dtype problems). */
import type { TensorInfo } from '@falcon-h1/core-tensor';

export function isDeviceFloat(dtype: string): boolean {
  return dtype === 'f32' || dtype === 'f16' || dtype === 'bf16';
}

export function requireFloat(kernel: string, x: TensorInfo): void {
  if (!isDeviceFloat(x.dtype)) throw new Error(`${kernel}: expected an f32, f16 or bf16 tensor, got ${x.dtype}`);
}

export function requireSame(kernel: string, a: TensorInfo, b: TensorInfo): void {
  if (a.dtype !== b.dtype) throw new Error(`${kernel}: inputs must share one dtype, got ${a.dtype} and ${b.dtype}`);
}

export function requireI32(kernel: string, what: string, x: TensorInfo | undefined): void {
  if (x !== undefined && x.dtype !== 'i32') throw new Error(`${kernel}: ${what} must be i32, got ${x.dtype}`);
}

/** ‖got − want‖ / ‖want‖, the tests' measure of agreement with a float64 reference. */
export function relL2(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let diff = 0;
  let w = 0;
  for (let i = 0; i < want.length; i++) {
    diff += (Number(got[i]) - want[i]!) ** 2;
    w += want[i]! ** 2;
  }
  return Math.sqrt(diff / w);
}

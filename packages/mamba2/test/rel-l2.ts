/** The relative L2 error ‖got − want‖ / ‖want‖ the mixer tests bound. */
export function relL2(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let d = 0;
  let w = 0;
  for (let i = 0; i < want.length; i++) {
    d += (Number(got[i]) - want[i]!) ** 2;
    w += want[i]! ** 2;
  }
  return Math.sqrt(d / w);
}

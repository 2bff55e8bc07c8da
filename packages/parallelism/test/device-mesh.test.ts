/** Mesh coordinates follow rank = ((dp·PP + pp)·CP + cp)·TP + tp (TP innermost). */
import { describe, expect, it } from 'vitest';
import { meshCoordinates } from '../src/index.js';

describe('device mesh', () => {
  it('numbers ranks with TP innermost, then CP, PP and DP', () => {
    const shape = { dp: 2, pp: 3, cp: 2, tp: 4 };
    let rank = 0;
    for (let dp = 0; dp < shape.dp; dp++)
      for (let pp = 0; pp < shape.pp; pp++)
        for (let cp = 0; cp < shape.cp; cp++)
          for (let tp = 0; tp < shape.tp; tp++) expect(meshCoordinates(rank++, shape)).toEqual({ dp, pp, cp, tp });
  });
});

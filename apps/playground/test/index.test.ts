import { describe, expect, it } from 'vitest';
import * as m from '../src/index.js';

describe('@falcon-h1/playground (smoke)', () => {
  it('imports and names itself', () => {
    expect(m.PACKAGE_NAME).toBe('@falcon-h1/playground');
  });
});

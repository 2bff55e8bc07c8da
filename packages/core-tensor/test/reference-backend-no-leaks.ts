/**
 * For a test file on the reference backend whose every test must free what it made: the backend for the file, and
 * the live-tensor count checked after each test against the count before it.
 */
import { afterEach, beforeAll, beforeEach, expect } from 'vitest';
// core-tensor depends on no workspace package; its tests take the reference backend from its sources directly.
import { createReferenceBackend } from '../../../backends/reference/src/base.js';
import { memory, useBackend } from '../src/index.js';

export function referenceBackendWithoutLeaks(): void {
  beforeAll(() => {
    useBackend(createReferenceBackend());
  });
  let liveBefore = 0;
  beforeEach(() => {
    liveBefore = memory().numTensors;
  });
  afterEach(() => {
    expect(memory().numTensors).toBe(liveBefore);
  });
}

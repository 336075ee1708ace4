/** Small helpers shared by the test files. */
import { strict as assert } from 'node:assert';
import { TapoError } from '../src/protocol/errors';

/** Awaits `p`, asserts that it rejects with a {@link TapoError}, and returns that error. */
export async function rejection(p: Promise<unknown>): Promise<TapoError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof TapoError, `expected a TapoError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected the promise to reject');
}

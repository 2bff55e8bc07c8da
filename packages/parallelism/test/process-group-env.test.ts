/** The launcher's environment: defaults, and a clear error naming each bad variable. */
import { describe, expect, it } from 'vitest';
import { processGroupEnv } from '../src/node.js';

describe('processGroupEnv', () => {
  it('reads what `falcon-h1 launch` sets', () => {
    expect(
      processGroupEnv({ RANK: '3', WORLD_SIZE: '4', LOCAL_RANK: '1', MASTER_ADDR: '10.0.0.2', MASTER_PORT: '29600' }),
    ).toEqual({ rank: 3, worldSize: 4, localRank: 1, masterAddr: '10.0.0.2', masterPort: 29600 });
  });

  it('defaults LOCAL_RANK to RANK and the master to 127.0.0.1:29500', () => {
    expect(processGroupEnv({ RANK: '1', WORLD_SIZE: '2' })).toEqual({
      rank: 1,
      worldSize: 2,
      localRank: 1,
      masterAddr: '127.0.0.1',
      masterPort: 29500,
    });
  });

  it.each([
    [{ WORLD_SIZE: '2' }, /RANK is not set/],
    [{ RANK: '0' }, /WORLD_SIZE is not set/],
    [{ RANK: 'one', WORLD_SIZE: '2' }, /RANK="one" is not a non-negative integer/],
    [{ RANK: '-1', WORLD_SIZE: '2' }, /RANK="-1" is not a non-negative integer/],
    [{ RANK: '2', WORLD_SIZE: '2' }, /RANK=2 is outside WORLD_SIZE=2/],
    [{ RANK: '0', WORLD_SIZE: '0' }, /WORLD_SIZE=0/],
    [{ RANK: '0', WORLD_SIZE: '2', MASTER_PORT: '70000' }, /MASTER_PORT=70000 is not a TCP port/],
    [{ RANK: '0', WORLD_SIZE: '2', LOCAL_RANK: '1.5' }, /LOCAL_RANK="1.5"/],
  ])('refuses %j', (env, message) => {
    expect(() => processGroupEnv(env)).toThrow(message);
  });
});

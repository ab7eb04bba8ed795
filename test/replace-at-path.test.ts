import { describe, expect, it } from 'vitest';
import { replaceAtPath } from '../engines/shared/replace-at-path.js';

describe('replaceAtPath', () => {
  const hardware = { cpu: { ghz: 2.4, sockets: 1 }, memory: { gib: 64 } };

  it('replaces a nested value and leaves the original as it was', () => {
    const changed = replaceAtPath(hardware, ['cpu', 'ghz'], 3);
    expect(changed).toEqual({ cpu: { ghz: 3, sockets: 1 }, memory: { gib: 64 } });
    expect(hardware.cpu.ghz).toBe(2.4);
  });

  it('copies the objects on the path and shares the others', () => {
    const changed = replaceAtPath(hardware, ['cpu', 'ghz'], 3);
    expect(changed).not.toBe(hardware);
    expect(changed.cpu).not.toBe(hardware.cpu);
    expect(changed.memory).toBe(hardware.memory);
  });

  it('creates the objects a path runs through that do not exist yet', () => {
    expect(replaceAtPath({ options: {} }, ['options', 'real', 'timeoutMs'], 500)).toEqual({
      options: { real: { timeoutMs: 500 } },
    });
  });

  it('replaces the whole value for an empty path', () => {
    expect(replaceAtPath(hardware, [], 'host')).toBe('host');
  });
});

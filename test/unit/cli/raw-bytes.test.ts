/** The CLI takes non-UTF-8 argument and environment bytes from /proc/self (here: given), only when they line up. */
import { describe, expect, it } from 'vitest';
import { rawArgv, rawEnv } from '../../../src/cli/raw-bytes.js';
import { bytesToPathString } from '../../../src/util/surrogate-escape.js';

const cmdline = (...items: Array<string | Buffer>): (() => Buffer) => () => Buffer.concat(items.flatMap((i) => [typeof i === 'string' ? Buffer.from(i) : i, Buffer.from([0])]));
const bad = Buffer.from([0x61, 0xff, 0x62]);

describe.runIf(process.platform === 'linux')('rawArgv / rawEnv', () => {
  it('replaces only the items Node decoded with U+FFFD, aligned on the end (node options before the script)', () => {
    const argv = ['/usr/bin/node', '/x/main.js', 'run', '--', 'a\ufffdb', 'ok'];
    expect(rawArgv(argv, cmdline('node', '--no-warnings', '/x/main.js', 'run', '--', bad, 'ok'))).toEqual([...argv.slice(0, 4), bytesToPathString(bad), 'ok']);
  });

  it('keeps Node text when the raw list does not line up, and reads nothing when nothing was lost', () => {
    const argv = ['/usr/bin/node', '/x/main.js', 'run', '--', 'a\ufffdb'];
    expect(rawArgv(argv, cmdline('node', '/x/main.js', 'run', '--', 'other'))).toEqual(argv);
    expect(rawArgv(['n', 's', 'plain'], () => {
      throw new Error('must not read');
    })).toEqual(['n', 's', 'plain']);
  });

  it('environment: the exact bytes of a value Node decoded lossily, unless it changed since exec', () => {
    const environ = cmdline(Buffer.concat([Buffer.from('X='), bad]), 'Y=plain');
    expect(rawEnv({ X: 'a\ufffdb', Y: 'plain' }, environ)).toEqual({ X: bytesToPathString(bad), Y: 'plain' });
    expect(rawEnv({ X: 'changed\ufffd', Y: 'plain' }, environ)).toEqual({ X: 'changed\ufffd', Y: 'plain' });
  });
});

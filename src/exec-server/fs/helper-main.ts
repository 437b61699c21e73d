/**
 * The fs helper program (built to dist/fs-helper/fs-helper.js): started by the exec-server inside the
 * sandbox a request's profile gives, it runs the filesystem requests it reads on stdin (JSON lines)
 * and writes one JSON line per answer. Everything it touches is under that sandbox: a write outside
 * the writable roots or through an escaping symlink fails with the OS's error here.
 */
import { createInterface } from 'node:readline';
import { toFsFailure } from './errors.js';
import type { HelperRequest, HelperResponse } from './helper-protocol.js';
import { OpenFiles, runFsRequest } from './ops.js';

const files = new OpenFiles();
const out = (r: HelperResponse): void => {
  process.stdout.write(`${JSON.stringify(r)}\n`);
};

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
lines.on('line', (line) => {
  let msg: HelperRequest;
  try {
    msg = JSON.parse(line) as HelperRequest;
  } catch (e) {
    process.stderr.write(`fs helper: unreadable request: ${String(e)}\n`);
    process.exit(2);
  }
  runFsRequest(msg.request, files).then(
    (response) => out({ id: msg.id, status: 'ok', payload: { operation: msg.request.operation, response } }),
    (e: unknown) => {
      const f = toFsFailure(e);
      out({ id: msg.id, status: 'error', payload: { code: f.code, message: f.message } });
    },
  );
});
lines.on('close', () => {
  void files.closeAll().then(() => process.exit(0));
});

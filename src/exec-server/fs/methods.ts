/**
 * The fs/* methods of one connection (Codex server/file_system_handler.rs): decode, route (a
 * restricting `sandbox` → this connection's fs helper for that context; otherwise in-process), and
 * map failures to Codex's codes. Read handles belong to the connection (at most 128) and close with it.
 */
import { invalidRequest, RpcError } from '../jsonrpc.js';
import { Fields } from '../params.js';
import type { FsFailure } from './errors.js';
import { notFound, toFsFailure } from './errors.js';
import { HelperPool } from './helper-pool.js';
import type { HelperOptions } from './helper-pool.js';
import type { SessionPool } from '../../sandbox.js';
import { OpenFiles, runFsRequest } from './ops.js';
import { decodeFsCall, decodeReadBlock } from './params.js';
import type { FsRequest } from './requests.js';
import { MAX_OPEN_READS_PER_CONNECTION } from './requests.js';

export const FS_METHODS = [
  'fs/readFile',
  'fs/writeFile',
  'fs/createDirectory',
  'fs/getMetadata',
  'fs/canonicalize',
  'fs/readDirectory',
  'fs/walk',
  'fs/remove',
  'fs/copy',
  'fs/open',
  'fs/readBlock',
  'fs/close',
] as const;

type Reader = (r: FsRequest) => Promise<object>;

const rpc = (e: unknown): RpcError => {
  if (e instanceof RpcError) return e;
  const f: FsFailure = toFsFailure(e);
  return new RpcError(f.code, f.message);
};

export class FsMethods {
  private readonly local = new OpenFiles();
  private readonly pool: HelperPool;
  /** handleId → where its reads go; a slot is taken while fs/open runs (duplicates and the limit count it). */
  private readonly handles = new Map<string, Reader | 'opening'>();

  constructor(options: HelperOptions, sandboxSessions?: () => SessionPool | undefined) {
    this.pool = new HelperPool(options, sandboxSessions);
  }

  async call(method: string, params: unknown): Promise<object> {
    try {
      if (method === 'fs/readBlock') {
        const p = decodeReadBlock(params);
        const reader = this.handles.get(p.handleId);
        if (reader === undefined || reader === 'opening') throw notFound(`unknown file read handle \`${p.handleId}\``);
        try {
          return await reader({ operation: 'fs/readBlock', ...p });
        } catch (e) {
          // Codex: a failed read also closes the handle.
          this.handles.delete(p.handleId);
          void reader({ operation: 'fs/close', handleId: p.handleId }).catch(() => undefined);
          throw e;
        }
      }
      if (method === 'fs/close') {
        const handleId = Fields.of(params, 'FsCloseParams').string('handleId');
        const reader = this.handles.get(handleId);
        this.handles.delete(handleId);
        if (reader !== undefined && reader !== 'opening') await reader({ operation: 'fs/close', handleId }).catch(() => undefined);
        return {};
      }
      const { request, sandbox } = decodeFsCall(method, params);
      if (request.operation === 'fs/open') return await this.open(request, sandbox);
      return sandbox ? await this.pool.run(sandbox, request) : await runFsRequest(request, this.local);
    } catch (e) {
      throw rpc(e);
    }
  }

  private async open(request: Extract<FsRequest, { operation: 'fs/open' }>, sandbox: Parameters<HelperPool['run']>[0] | undefined): Promise<object> {
    const id = request.handleId;
    if (this.handles.has(id)) throw invalidRequest(`file read handle \`${id}\` already exists`);
    if (this.handles.size >= MAX_OPEN_READS_PER_CONNECTION) throw invalidRequest(`at most ${MAX_OPEN_READS_PER_CONNECTION} file reads may be open per connection`);
    this.handles.set(id, 'opening');
    try {
      let reader: Reader;
      if (sandbox) reader = await this.pool.open(sandbox, request);
      else {
        await runFsRequest(request, this.local);
        reader = (r) => runFsRequest(r, this.local);
      }
      if (this.handles.get(id) !== 'opening') {
        await reader({ operation: 'fs/close', handleId: id }).catch(() => undefined);
      } else this.handles.set(id, reader);
      return { handleId: id };
    } catch (e) {
      if (this.handles.get(id) === 'opening') this.handles.delete(id);
      throw e;
    }
  }

  /** The connection ended: every read handle closes and every helper is killed. */
  close(): void {
    this.handles.clear();
    this.pool.closeAll();
    void this.local.closeAll();
  }
}

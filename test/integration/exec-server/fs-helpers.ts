/** Shared bits of the fs/* tests: a connected client, URIs, and the two modes (in-process, sandboxed). */
import { pathToFileURL } from 'node:url';
import { workspaceWriteSandbox } from './helpers.js';
import type { RpcMessage , WsClient } from './helpers.js';

export const uri = (p: string): string => pathToFileURL(p).href;

/** A read-only sandbox: the whole disk readable, nothing writable. */
export function readOnlySandbox(cwdUri: string): Record<string, unknown> {
  return {
    permissions: { type: 'managed', file_system: { type: 'restricted', entries: [{ path: { type: 'special', value: { kind: 'root' } }, access: 'read' }] }, network: 'restricted' },
    cwd: cwdUri,
    workspaceRoots: [cwdUri],
    windowsSandboxLevel: 'disabled',
  };
}

/** Reads only under `roots` (no `:root`), writes nowhere: the helper gets :minimal plus its own two files. */
export function restrictedReadSandbox(cwdUri: string, readRoots: string[], writeRoots: string[] = []): Record<string, unknown> {
  return {
    permissions: {
      type: 'managed',
      file_system: {
        type: 'restricted',
        entries: [
          ...readRoots.map((r) => ({ path: { type: 'path', path: r }, access: 'read' })),
          ...writeRoots.map((r) => ({ path: { type: 'path', path: r }, access: 'write' })),
        ],
      },
      network: 'restricted',
    },
    cwd: cwdUri,
    windowsSandboxLevel: 'disabled',
  };
}

export type Mode = 'direct' | 'sandboxed';
export const MODES: Mode[] = ['direct', 'sandboxed'];

/** Calls fs methods with the mode's `sandbox` field (none, or workspace-write on `wsUri`). */
export class FsClient {
  constructor(
    readonly c: WsClient,
    readonly sandbox: Record<string, unknown> | undefined,
  ) {}

  static forMode(c: WsClient, mode: Mode, wsUri: string): FsClient {
    return new FsClient(c, mode === 'sandboxed' ? workspaceWriteSandbox(wsUri) : undefined);
  }

  request(method: string, params: Record<string, unknown>): Promise<RpcMessage> {
    return this.c.request(method, this.sandbox ? { ...params, sandbox: this.sandbox } : params);
  }

  async call(method: string, params: Record<string, unknown>): Promise<Record<string, unknown>> {
    const m = await this.request(method, params);
    if (m.error) throw new Error(`${method} failed: ${JSON.stringify(m.error)}`);
    return m.result ?? {};
  }

  async error(method: string, params: Record<string, unknown>): Promise<{ code: number; message: string }> {
    const m = await this.request(method, params);
    if (!m.error) throw new Error(`${method} unexpectedly succeeded: ${JSON.stringify(m.result)}`);
    return m.error;
  }
}

/** Codex assert_sandbox_denied: a denial shows as one of these OS errors from inside the helper. */
export const SANDBOX_DENIED = /Permission denied|Operation not permitted|Read-only file system|No such file or directory/;

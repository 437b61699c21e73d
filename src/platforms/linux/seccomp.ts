/** Which seccomp rule set the native launcher installs (the rules themselves live in native/linux). */
import type { NetworkPolicy } from '../../permissions/resolved.js';

/**
 * `base` always denies ptrace, process_vm_readv/writev and io_uring (cross-process memory access and
 * a socket path that bypasses socket() filtering); `restricted` adds the network rules.
 */
export function seccompModeFor(network: NetworkPolicy): 'base' | 'restricted' {
  return network === 'restricted' ? 'restricted' : 'base';
}

export {
  applyEnvPolicy,
  envNameMatches,
  isDefaultExcludedEnvName,
  CORE_ENV_VARS,
  WINDOWS_EXTRA_CORE_ENV_VARS,
  DEFAULT_ENV_EXCLUDES,
  CODEX_DEFAULT_ENV_POLICY,
} from './policy.js';
export { proxyEnv, withNodeRequire } from './proxy-env.js';

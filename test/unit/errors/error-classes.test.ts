import { describe, expect, it } from 'vitest';
import { ConfigError, UnknownProfileError } from '../../../src/config/errors.js';
import { ProjectBoundError } from '../../../src/config/resolve.js';
import { SandboxError, SandboxSetupError } from '../../../src/errors.js';
import { GlobExpansionError } from '../../../src/host/glob-scan.js';
import { LimitSetupError } from '../../../src/launch/cgroups.js';
import { PlanError } from '../../../src/contracts/index.js';
import { PathUriError } from '../../../src/path-uri/errors.js';
import { LegacyConversionError, ProfileError, ResolveError } from '../../../src/permissions/errors.js';
import { GlobPatternError } from '../../../src/permissions/glob-match.js';
import { BundledBwrapError } from '../../../src/host/bundled-bwrap.js';
import { BwrapProbeError } from '../../../src/host/bwrap-help.js';
import { WindowsLaunchError } from '../../../src/launch/windows.js';
import { UsageError } from '../../../src/cli/profile-arg.js';

describe('every error the library throws is a SandboxError with its code', () => {
  const cases: Array<[Error, string, string]> = [
    [new PlanError('NoBwrap', 'm'), 'PlanError', 'NoBwrap'],
    [new ProfileError('$.x', 'bad'), 'ProfileError', 'InvalidProfile'],
    [new LegacyConversionError('m'), 'LegacyConversionError', 'NotLegacyExpressible'],
    [new ResolveError('m'), 'ResolveError', 'Unresolvable'],
    [new ConfigError('f.toml', 1, 'k', 'd'), 'ConfigError', 'InvalidConfig'],
    [new ProjectBoundError('f.toml', 1, 'k', 'd', 'r'), 'ProjectBoundError', 'ProjectConfigBound'],
    [new UnknownProfileError('p', 'm'), 'UnknownProfileError', 'UnknownProfile'],
    [new PathUriError('NotAbsolute', 'm'), 'PathUriError', 'NotAbsolute'],
    [new GlobPatternError('[', 'p'), 'GlobPatternError', 'InvalidGlob'],
    [new GlobExpansionError('/**', 'p'), 'GlobExpansionError', 'GlobNotExpandable'],
    [new UsageError('m'), 'UsageError', 'Usage'],
    [new BundledBwrapError('m'), 'BundledBwrapError', 'BundledBwrap'],
    [new BwrapProbeError('/b', 'm'), 'BwrapProbeError', 'BwrapProbe'],
    [new LimitSetupError('m'), 'LimitSetupError', 'LimitSetup'],
    [new WindowsLaunchError('EBATCH', 'm'), 'WindowsLaunchError', 'EBATCH'],
    [new SandboxSetupError('chdir', '/x', 2, 'chdir /x: No such file or directory'), 'SandboxSetupError', 'SetupFailed'],
  ];
  it.each(cases)('%o', (err, name, code) => {
    expect(err).toBeInstanceOf(SandboxError);
    expect(err.name).toBe(name);
    expect((err as SandboxError).code).toBe(code);
  });
  it('a ProjectBoundError is still a ConfigError', () => {
    expect(new ProjectBoundError('f', 1, 'k', 'd', 'r')).toBeInstanceOf(ConfigError);
  });
});

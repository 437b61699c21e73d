// Shared declarations of the Windows native layer (not part of the N-API surface).
#pragma once
#ifndef NOMINMAX
#define NOMINMAX
#endif
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

#include <string>
#include <vector>

namespace cxsb {

// A failed Win32 call: what was attempted, on which path, and GetLastError().
struct WinError {
  DWORD code = 0;
  std::string what;  // e.g. "CreateRestrictedToken"
  std::string path;  // UTF-8; empty when no path is involved
  bool ok() const { return what.empty(); }
};

WinError Fail(const char* what, const std::wstring& path = L"", DWORD code = GetLastError());
std::wstring Wide(const std::string& utf8);
std::string Utf8(const std::wstring& wide);
std::string FormatWinError(const WinError& e);

// token.cc
// Restricted token from the caller's own token: DISABLE_MAX_PRIVILEGE | LUA_TOKEN | WRITE_RESTRICTED,
// restricting SIDs = capability SIDs, the caller's logon SID, Everyone (in that order).
WinError CreateSandboxToken(const std::vector<std::wstring>& capabilitySids, HANDLE* token);
// Reads the logon SID of the current process token as a string (for diagnostics / self test).
WinError CurrentLogonSid(std::wstring* sid);

// acl.cc
WinError GrantWriteRoot(const std::wstring& apiPath, const std::wstring& sid, bool* changed);
WinError DenyWrite(const std::wstring& apiPath, const std::vector<std::wstring>& sids, bool* changed);
WinError AllowNulDevice(const std::vector<std::wstring>& sids);
WinError RemoveSandboxAces(const std::wstring& apiPath, const std::vector<std::wstring>& sids, bool nulDevice,
                           unsigned* removed);
bool IsElevated();

// job.cc
WinError CreateKillOnCloseJob(HANDLE* job);
WinError TerminateJob(HANDLE job, UINT exitCode);
// Processes of the job still alive (TerminateJobObject returns before they are all gone).
WinError JobActiveProcesses(HANDLE job, DWORD* count);

// spawn.cc
struct SpawnSpec {
  std::wstring application;
  std::wstring commandLine;
  std::wstring cwd;
  std::vector<std::wstring> env;  // NAME=value, already sorted
  std::wstring desktop;
};
// Creates the process suspended with `token` and this process's stdin/stdout/stderr (NUL for a
// missing one) as the only inherited handles, puts it in `job`, then resumes it.
WinError SpawnInJob(const SpawnSpec& spec, HANDLE token, HANDLE job, PROCESS_INFORMATION* pi);

}  // namespace cxsb

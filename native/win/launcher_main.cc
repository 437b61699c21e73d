// codex-sandbox-launcher.exe: the Windows child-side launcher. `sandbox.spawn` (execa) and
// `codex-sandbox run` start this program; it starts the command under the restricted token inside a
// kill-on-close job, hands it its own stdin/stdout/stderr, waits, ends whatever the command left in
// the job, and exits with the command's exit code. The caller has already applied the ACL grants
// (winApplyAcls, src/launch/windows.ts); the planner resolved the program and built these arguments
// (src/platforms/win32/launcher-args.ts).
//
//   codex-sandbox-launcher.exe --application PATH --cwd DIR [--desktop NAME]
//                              --capability-sid SID [--capability-sid SID ...]
//                              [--unset-env NAME ...] --command-line TEXT
//
// The command's environment is this process's environment (the caller set it to the planned one),
// minus every --unset-env NAME: libuv adds a few variables (PATH, TEMP, USERPROFILE, ...) from
// Node's own environment to every child's, and the caller names those the plan does not have.
// Exit codes: the command's own; 125 when the sandbox could not be set up (nothing ran); 2 for bad
// arguments. Killing this process closes its job handle, and kill-on-close ends the whole tree.
#include <stdio.h>
#include <wchar.h>

#include "win_internal.h"

namespace {

constexpr int kExitSetupFailure = 125;
constexpr int kExitUsage = 2;
// After the command exits, the launcher waits at most this long for TerminateJobObject to finish.
constexpr DWORD kJobDrainPolls = 1000;
constexpr DWORD kJobDrainPollMs = 10;

void Say(const std::string& msg) {
  std::string line = "codex-sandbox: " + msg + "\n";
  DWORD written = 0;
  HANDLE err = GetStdHandle(STD_ERROR_HANDLE);
  if (err != nullptr && err != INVALID_HANDLE_VALUE) {
    // Best effort: a caller that closed stderr gets the exit status alone; nothing else to tell.
    (void)WriteFile(err, line.data(), static_cast<DWORD>(line.size()), &written, nullptr);
  }
}

[[noreturn]] void SetupFailed(const cxsb::WinError& e) {
  Say("the sandbox could not be set up: " + cxsb::FormatWinError(e) + "; run `codex-sandbox doctor` for the cause");
  ExitProcess(kExitSetupFailure);
}

[[noreturn]] void Usage(const std::string& msg) {
  Say("codex-sandbox-launcher: " + msg);
  ExitProcess(kExitUsage);
}

// Whether entry `NAME=value` has the name `name`, compared as Windows compares variable names
// (ordinal, case-insensitive). A hidden entry (`=C:=C:\dir`) has its name after the leading '='.
bool HasName(const wchar_t* entry, const std::wstring& name) {
  const wchar_t* eq = wcschr(entry + (entry[0] == L'=' ? 1 : 0), L'=');
  size_t len = eq == nullptr ? wcslen(entry) : static_cast<size_t>(eq - entry);
  return len == name.size() && CompareStringOrdinal(entry, static_cast<int>(len), name.c_str(), static_cast<int>(len), TRUE) == CSTR_EQUAL;
}

// This process's environment as NAME=value entries, in the order Windows keeps it (sorted), minus
// the names in `unset`.
cxsb::WinError OwnEnvironment(const std::vector<std::wstring>& unset, std::vector<std::wstring>* out) {
  wchar_t* block = GetEnvironmentStringsW();
  // Never start the command with an empty environment in place of the planned one.
  if (block == nullptr) return cxsb::Fail("GetEnvironmentStringsW");
  for (const wchar_t* p = block; *p != L'\0'; p += wcslen(p) + 1) {
    bool drop = false;
    for (const auto& name : unset) drop = drop || HasName(p, name);
    if (!drop) out->emplace_back(p);
  }
  if (!FreeEnvironmentStringsW(block)) return cxsb::Fail("FreeEnvironmentStringsW");
  return cxsb::WinError();
}

BOOL WINAPI IgnoreInterrupt(DWORD event) {
  return event == CTRL_C_EVENT || event == CTRL_BREAK_EVENT ? TRUE : FALSE;
}

}  // namespace

int wmain(int argc, wchar_t** argv) {
  cxsb::SpawnSpec spec;
  std::vector<std::wstring> capabilitySids;
  std::vector<std::wstring> unsetEnv;
  bool haveCommandLine = false;
  for (int i = 1; i < argc; i++) {
    const std::wstring flag = argv[i];
    if (i + 1 >= argc) Usage("option " + cxsb::Utf8(flag) + " needs a value");
    const wchar_t* value = argv[++i];
    if (flag == L"--application") spec.application = value;
    else if (flag == L"--cwd") spec.cwd = value;
    else if (flag == L"--desktop") spec.desktop = value;
    else if (flag == L"--capability-sid") capabilitySids.emplace_back(value);
    else if (flag == L"--unset-env") {
      if (value[0] == L'\0' || wcschr(value + 1, L'=') != nullptr) Usage("--unset-env needs a variable name");
      unsetEnv.emplace_back(value);
    }
    else if (flag == L"--command-line") {
      spec.commandLine = value;
      haveCommandLine = true;
    } else {
      Usage("unknown option " + cxsb::Utf8(flag));
    }
  }
  if (spec.application.empty() || spec.cwd.empty() || !haveCommandLine) Usage("--application, --cwd and --command-line are required");
  // An empty restricting-SID list would make the token unrestricted for writes.
  if (capabilitySids.empty()) Usage("at least one --capability-sid is required");
  cxsb::WinError e = OwnEnvironment(unsetEnv, &spec.env);
  if (!e.ok()) SetupFailed(e);
  // Ctrl-C / Ctrl-Break reach every process on the console: the command decides what they mean,
  // and this launcher stays to report its exit status (a handler, unlike SetConsoleCtrlHandler(NULL),
  // is not inherited by the command).
  if (!SetConsoleCtrlHandler(IgnoreInterrupt, TRUE)) SetupFailed(cxsb::Fail("SetConsoleCtrlHandler"));

  HANDLE token = nullptr;
  e = cxsb::CreateSandboxToken(capabilitySids, &token);
  if (!e.ok()) SetupFailed(e);
  // Never closed by hand: this process ending (normally, or TerminateProcess from the caller's
  // kill or timeout) closes it, and kill-on-close then ends every process of the tree.
  HANDLE job = nullptr;
  e = cxsb::CreateKillOnCloseJob(&job);
  if (!e.ok()) SetupFailed(e);
  PROCESS_INFORMATION pi{};
  e = cxsb::SpawnInJob(spec, token, job, &pi);
  CloseHandle(token);
  if (!e.ok()) SetupFailed(e);

  if (WaitForSingleObject(pi.hProcess, INFINITE) != WAIT_OBJECT_0) SetupFailed(cxsb::Fail("WaitForSingleObject"));
  DWORD code = 0;
  if (!GetExitCodeProcess(pi.hProcess, &code)) SetupFailed(cxsb::Fail("GetExitCodeProcess"));
  CloseHandle(pi.hProcess);
  // A descendant left running must not outlive the command: it could keep writing inside the
  // writable roots after the caller was told the command is done. TerminateJobObject only starts
  // the terminations, so wait (bounded) until the job is empty.
  if (cxsb::TerminateJob(job, code).ok()) {
    DWORD active = 0;
    for (DWORD i = 0; i < kJobDrainPolls && cxsb::JobActiveProcesses(job, &active).ok() && active > 0; i++) Sleep(kJobDrainPollMs);
  }
  fflush(nullptr);
  ExitProcess(code);
}

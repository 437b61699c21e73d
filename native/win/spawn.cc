// Starting the command: the launcher's own stdio handles, CreateProcessAsUserW with the restricted
// token, suspended until it is inside the job object (Codex codex-rs/windows-sandbox-rs/src/process.rs).
#include "win_internal.h"

namespace cxsb {
namespace {

struct Handle {
  HANDLE h = nullptr;
  ~Handle() { if (h && h != INVALID_HANDLE_VALUE) CloseHandle(h); }
};

WinError OpenNul(HANDLE* out) {
  SECURITY_ATTRIBUTES sa{sizeof sa, nullptr, TRUE};
  *out = CreateFileW(L"NUL", GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, &sa, OPEN_EXISTING, 0, nullptr);
  if (*out == INVALID_HANDLE_VALUE) {
    WinError e = Fail("CreateFileW", L"NUL");
    *out = nullptr;
    return e;
  }
  return WinError();
}

// An inheritable duplicate of this process's std handle `which`, or NUL when it has none (a
// caller that ignores that stream).
WinError OwnStdio(DWORD which, HANDLE* out) {
  *out = nullptr;
  HANDLE own = GetStdHandle(which);
  if (own == nullptr || own == INVALID_HANDLE_VALUE) return OpenNul(out);
  if (!DuplicateHandle(GetCurrentProcess(), own, GetCurrentProcess(), out, 0, TRUE, DUPLICATE_SAME_ACCESS)) {
    WinError e = Fail("DuplicateHandle(std handle)");
    *out = nullptr;  // not a handle we own: the caller's guard must not close it
    return e;
  }
  return WinError();
}

}  // namespace

WinError SpawnInJob(const SpawnSpec& spec, HANDLE token, HANDLE job, PROCESS_INFORMATION* pi) {
  Handle stdio[3];
  const DWORD which[3] = {STD_INPUT_HANDLE, STD_OUTPUT_HANDLE, STD_ERROR_HANDLE};
  for (int i = 0; i < 3; i++) {
    WinError e = OwnStdio(which[i], &stdio[i].h);
    if (!e.ok()) return e;
  }

  // Only the three stdio handles are inherited: without this list the child would inherit every
  // inheritable handle Node holds (other children's pipes, files), a read/write path out.
  HANDLE list[3];
  DWORD count = 0;
  for (int i = 0; i < 3; i++) {
    bool dup = false;
    for (DWORD j = 0; j < count; j++) dup = dup || list[j] == stdio[i].h;
    if (!dup) list[count++] = stdio[i].h;
  }
  SIZE_T attrSize = 0;
  // The sizing call fails by design (ERROR_INSUFFICIENT_BUFFER); only the size it reports counts.
  if (!InitializeProcThreadAttributeList(nullptr, 1, 0, &attrSize) && GetLastError() != ERROR_INSUFFICIENT_BUFFER) {
    return Fail("InitializeProcThreadAttributeList(size)");
  }
  if (attrSize == 0) return Fail("InitializeProcThreadAttributeList(size)", L"", ERROR_INVALID_PARAMETER);
  std::vector<BYTE> attrBuf(attrSize);
  auto* attrs = reinterpret_cast<LPPROC_THREAD_ATTRIBUTE_LIST>(attrBuf.data());
  if (!InitializeProcThreadAttributeList(attrs, 1, 0, &attrSize)) return Fail("InitializeProcThreadAttributeList");
  struct AttrGuard {
    LPPROC_THREAD_ATTRIBUTE_LIST a;
    ~AttrGuard() { DeleteProcThreadAttributeList(a); }
  } attrGuard{attrs};
  if (!UpdateProcThreadAttribute(attrs, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, list, count * sizeof(HANDLE), nullptr, nullptr)) {
    return Fail("UpdateProcThreadAttribute(HANDLE_LIST)");
  }

  STARTUPINFOEXW si{};
  si.StartupInfo.cb = sizeof si;
  si.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
  si.StartupInfo.hStdInput = stdio[0].h;
  si.StartupInfo.hStdOutput = stdio[1].h;
  si.StartupInfo.hStdError = stdio[2].h;
  std::wstring desktop = spec.desktop;
  si.StartupInfo.lpDesktop = desktop.empty() ? nullptr : &desktop[0];
  si.lpAttributeList = attrs;

  std::wstring envBlock;
  for (const auto& kv : spec.env) {
    envBlock += kv;
    envBlock.push_back(L'\0');
  }
  envBlock.push_back(L'\0');
  if (spec.env.empty()) envBlock.push_back(L'\0');

  std::wstring cmd = spec.commandLine;  // CreateProcessW may write into the command line buffer
  // Suspended until it is in the job: a process that ran even briefly outside it could spawn
  // children that the job never sees and kill-on-close never reaches.
  if (!CreateProcessAsUserW(token, spec.application.c_str(), &cmd[0], nullptr, nullptr, TRUE,
                            CREATE_SUSPENDED | CREATE_UNICODE_ENVIRONMENT | EXTENDED_STARTUPINFO_PRESENT,
                            &envBlock[0], spec.cwd.empty() ? nullptr : spec.cwd.c_str(), &si.StartupInfo, pi)) {
    return Fail("CreateProcessAsUserW", spec.application);
  }
  if (!AssignProcessToJobObject(job, pi->hProcess)) {
    WinError e = Fail("AssignProcessToJobObject", spec.application);
    TerminateProcess(pi->hProcess, 1);
    CloseHandle(pi->hThread);
    CloseHandle(pi->hProcess);
    *pi = PROCESS_INFORMATION{};
    return e;
  }
  if (ResumeThread(pi->hThread) == static_cast<DWORD>(-1)) {
    WinError e = Fail("ResumeThread", spec.application);
    TerminateJobObject(job, 1);
    CloseHandle(pi->hThread);
    CloseHandle(pi->hProcess);
    *pi = PROCESS_INFORMATION{};
    return e;
  }
  CloseHandle(pi->hThread);
  pi->hThread = nullptr;
  return WinError();
}

}  // namespace cxsb

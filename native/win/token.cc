// The restricted token (after Codex codex-rs/windows-sandbox-rs/src/token.rs; CreateRestrictedToken): built from the caller's own token so no privilege is
// needed, write-restricted so every write must also be granted to one of the restricting SIDs.
// win_internal.h brings <windows.h>, which sddl.h needs first.
#include "win_internal.h"

#include <aclapi.h>
#include <sddl.h>

#include <memory>

namespace cxsb {
namespace {

struct LocalSid {
  PSID sid = nullptr;
  ~LocalSid() { if (sid) LocalFree(sid); }
};

struct Handle {
  HANDLE h = nullptr;
  ~Handle() { if (h && h != INVALID_HANDLE_VALUE) CloseHandle(h); }
};

// Copies the SE_GROUP_LOGON_ID SID out of `token`'s groups; empty vector when there is none.
WinError LogonSidOf(HANDLE token, std::vector<BYTE>* out) {
  DWORD len = 0;
  GetTokenInformation(token, TokenGroups, nullptr, 0, &len);
  if (len == 0) return Fail("GetTokenInformation(TokenGroups)");
  std::vector<BYTE> buf(len);
  if (!GetTokenInformation(token, TokenGroups, buf.data(), len, &len)) return Fail("GetTokenInformation(TokenGroups)");
  auto* groups = reinterpret_cast<TOKEN_GROUPS*>(buf.data());
  for (DWORD i = 0; i < groups->GroupCount; i++) {
    if ((groups->Groups[i].Attributes & SE_GROUP_LOGON_ID) == SE_GROUP_LOGON_ID) {
      DWORD n = GetLengthSid(groups->Groups[i].Sid);
      out->resize(n);
      if (!CopySid(n, out->data(), groups->Groups[i].Sid)) return Fail("CopySid");
      return WinError();
    }
  }
  out->clear();
  return WinError();
}

// Logon SID of the token, falling back to its linked (split UAC) token.
WinError FindLogonSid(HANDLE token, std::vector<BYTE>* out) {
  WinError e = LogonSidOf(token, out);
  if (!e.ok() || !out->empty()) return e;
  TOKEN_LINKED_TOKEN linked{};
  DWORD len = 0;
  if (GetTokenInformation(token, TokenLinkedToken, &linked, sizeof linked, &len) && linked.LinkedToken) {
    Handle l;
    l.h = linked.LinkedToken;
    return LogonSidOf(l.h, out);
  }
  return WinError();
}

}  // namespace

WinError CurrentLogonSid(std::wstring* sid) {
  Handle base;
  if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &base.h)) return Fail("OpenProcessToken");
  std::vector<BYTE> logon;
  WinError e = FindLogonSid(base.h, &logon);
  if (!e.ok()) return e;
  sid->clear();
  if (logon.empty()) return WinError();
  wchar_t* text = nullptr;
  if (!ConvertSidToStringSidW(reinterpret_cast<PSID>(logon.data()), &text)) return Fail("ConvertSidToStringSidW");
  *sid = text;
  LocalFree(text);
  return WinError();
}

WinError CreateSandboxToken(const std::vector<std::wstring>& capabilitySids, HANDLE* token) {
  *token = nullptr;
  Handle base;
  if (!OpenProcessToken(GetCurrentProcess(),
                        TOKEN_DUPLICATE | TOKEN_QUERY | TOKEN_ASSIGN_PRIMARY | TOKEN_ADJUST_DEFAULT |
                            TOKEN_ADJUST_SESSIONID | TOKEN_ADJUST_PRIVILEGES,
                        &base.h)) {
    return Fail("OpenProcessToken");
  }

  std::vector<std::unique_ptr<LocalSid>> caps;
  for (const auto& s : capabilitySids) {
    auto ls = std::make_unique<LocalSid>();
    if (!ConvertStringSidToSidW(s.c_str(), &ls->sid)) return Fail("ConvertStringSidToSidW", s);
    caps.push_back(std::move(ls));
  }
  std::vector<BYTE> logon;
  WinError e = FindLogonSid(base.h, &logon);
  if (!e.ok()) return e;
  // Whether the token's own groups hold the logon SID (not only its linked token): only then does
  // a default DACL naming it (without Everyone) pass the normal half of the access check.
  std::vector<BYTE> ownLogon;
  e = LogonSidOf(base.h, &ownLogon);
  if (!e.ok()) return e;
  LocalSid everyone;
  if (!ConvertStringSidToSidW(L"S-1-1-0", &everyone.sid)) return Fail("ConvertStringSidToSidW", L"S-1-1-0");

  // Order matters to nobody's access check, but is kept as Codex has it: capability SIDs, logon
  // SID (needed for the desktop and IPC objects of the session), Everyone.
  std::vector<SID_AND_ATTRIBUTES> restricting;
  for (auto& c : caps) restricting.push_back({c->sid, 0});
  if (!logon.empty()) restricting.push_back({reinterpret_cast<PSID>(logon.data()), 0});
  restricting.push_back({everyone.sid, 0});

  HANDLE restricted = nullptr;
  // WRITE_RESTRICTED: restricting SIDs are checked for write access only — files are writable
  // solely where an ACE grants one of them (our capability SIDs on the writable roots).
  // DISABLE_MAX_PRIVILEGE | LUA_TOKEN: no privileges (SeBackup/SeRestore/SeDebug would bypass ACLs).
  if (!CreateRestrictedToken(base.h, DISABLE_MAX_PRIVILEGE | LUA_TOKEN | WRITE_RESTRICTED, 0, nullptr, 0, nullptr,
                             static_cast<DWORD>(restricting.size()), restricting.data(), &restricted)) {
    return Fail("CreateRestrictedToken");
  }
  Handle out;
  out.h = restricted;

  // Default DACL for objects the child creates (its processes, threads, pipes, events): GENERIC_ALL
  // to the logon SID and the capability SIDs, so the restricted child can still use what it makes
  // (the logon SID passes both the normal and the restricted access check).
  // Codex also lists Everyone here; we do so only when the token has no logon SID of its own. Everyone would
  // let any other local user open the sandboxed processes with full access (inject code, read
  // their memory) and so act with this user's read rights.
  std::vector<EXPLICIT_ACCESSW> ea;
  auto addAll = [&ea](PSID sid) {
    EXPLICIT_ACCESSW a{};
    a.grfAccessPermissions = GENERIC_ALL;
    a.grfAccessMode = GRANT_ACCESS;
    a.grfInheritance = NO_INHERITANCE;
    a.Trustee.TrusteeForm = TRUSTEE_IS_SID;
    a.Trustee.TrusteeType = TRUSTEE_IS_UNKNOWN;
    a.Trustee.ptstrName = reinterpret_cast<LPWSTR>(sid);
    ea.push_back(a);
  };
  if (!logon.empty()) addAll(reinterpret_cast<PSID>(logon.data()));
  if (ownLogon.empty()) addAll(everyone.sid);
  for (auto& c : caps) addAll(c->sid);
  PACL dacl = nullptr;
  DWORD rc = SetEntriesInAclW(static_cast<ULONG>(ea.size()), ea.data(), nullptr, &dacl);
  if (rc != ERROR_SUCCESS) return Fail("SetEntriesInAclW(default DACL)", L"", rc);
  TOKEN_DEFAULT_DACL tdd{dacl};
  BOOL ok = SetTokenInformation(out.h, TokenDefaultDacl, &tdd, sizeof tdd);
  DWORD err = GetLastError();
  LocalFree(dacl);
  if (!ok) return Fail("SetTokenInformation(TokenDefaultDacl)", L"", err);

  // SeChangeNotifyPrivilege (bypass traverse checking) is the one privilege DISABLE_MAX_PRIVILEGE
  // keeps; make sure it is enabled or deep paths become untraversable. Checked like every other
  // call: AdjustTokenPrivileges returns TRUE with ERROR_NOT_ALL_ASSIGNED when the token lacks it.
  TOKEN_PRIVILEGES tp{};
  tp.PrivilegeCount = 1;
  tp.Privileges[0].Attributes = SE_PRIVILEGE_ENABLED;
  if (!LookupPrivilegeValueW(nullptr, SE_CHANGE_NOTIFY_NAME, &tp.Privileges[0].Luid)) {
    return Fail("LookupPrivilegeValueW(SeChangeNotifyPrivilege)");
  }
  if (!AdjustTokenPrivileges(out.h, FALSE, &tp, 0, nullptr, nullptr)) {
    return Fail("AdjustTokenPrivileges(SeChangeNotifyPrivilege)");
  }
  DWORD adjustErr = GetLastError();
  if (adjustErr != ERROR_SUCCESS) return Fail("AdjustTokenPrivileges(SeChangeNotifyPrivilege)", L"", adjustErr);

  *token = out.h;
  out.h = nullptr;
  return WinError();
}

}  // namespace cxsb

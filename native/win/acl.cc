// ACL grants for writable roots and deny-write ACEs for read-only paths inside them (after Codex
// codex-rs/windows-sandbox-rs/src/acl.rs).
// win_internal.h brings <windows.h>, which sddl.h needs first.
#include "win_internal.h"

#include <aclapi.h>
#include <sddl.h>

#include <memory>

namespace cxsb {
namespace {

// Write grant: read, write, execute and DELETE on the root and (inherited) everything below it.
// Deliberately no FILE_DELETE_CHILD: a parent's delete-child right lets a child entry be deleted
// or renamed whatever the entry's own ACL says, which would bypass the deny ACEs below.
constexpr DWORD kWriteGrant = FILE_GENERIC_READ | FILE_GENERIC_WRITE | FILE_GENERIC_EXECUTE | DELETE;
constexpr DWORD kDenyWrite = FILE_GENERIC_WRITE | FILE_WRITE_DATA | FILE_APPEND_DATA | FILE_WRITE_EA |
                             FILE_WRITE_ATTRIBUTES | DELETE | FILE_DELETE_CHILD;
constexpr BYTE kInherit = CONTAINER_INHERIT_ACE | OBJECT_INHERIT_ACE;

struct LocalMem {
  HLOCAL p = nullptr;
  ~LocalMem() { if (p) LocalFree(p); }
};
struct Handle {
  HANDLE h = INVALID_HANDLE_VALUE;
  ~Handle() { if (h != INVALID_HANDLE_VALUE) CloseHandle(h); }
};

// Explicit (not inherited) ACE of `type` for `sid` with every bit of `mask`, exactly the CI|OI
// flags `inherit`, and applying to the object itself (not inherit-only).
// `exact`: also require that no bit outside `mask` is granted (a stale FILE_DELETE_CHILD grant).
bool HasExplicitAce(PACL acl, BYTE type, PSID sid, DWORD mask, bool exact, BYTE inherit) {
  if (!acl) return false;
  for (DWORD i = 0; i < acl->AceCount; i++) {
    void* raw = nullptr;
    if (!GetAce(acl, i, &raw)) continue;
    auto* hdr = static_cast<ACE_HEADER*>(raw);
    if (hdr->AceType != type || (hdr->AceFlags & (INHERITED_ACE | INHERIT_ONLY_ACE)) != 0) continue;
    if ((hdr->AceFlags & kInherit) != inherit) continue;
    // ACCESS_ALLOWED_ACE and ACCESS_DENIED_ACE share the layout.
    auto* ace = static_cast<ACCESS_ALLOWED_ACE*>(raw);
    if (!EqualSid(reinterpret_cast<PSID>(&ace->SidStart), sid)) continue;
    if ((ace->Mask & mask) != mask) continue;
    if (exact && (ace->Mask & ~mask) != 0) continue;
    return true;
  }
  return false;
}

// Opens `apiPath` for reading and replacing its DACL. `noFollow`: the entry itself, even when it
// is a junction or symlink (the link in the writable root is what the command could replace).
WinError OpenForDacl(const std::wstring& apiPath, bool noFollow, Handle* out) {
  DWORD flags = FILE_FLAG_BACKUP_SEMANTICS | (noFollow ? FILE_FLAG_OPEN_REPARSE_POINT : 0);
  out->h = CreateFileW(apiPath.c_str(), READ_CONTROL | WRITE_DAC, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                       nullptr, OPEN_EXISTING, flags, nullptr);
  if (out->h == INVALID_HANDLE_VALUE) return Fail("CreateFileW(READ_CONTROL|WRITE_DAC)", apiPath);
  return WinError();
}

// Applies `entries` to the handle's DACL, keeping its protected/unprotected state. SetSecurityInfo
// propagates inheritable ACEs to existing children.
WinError MergeDacl(HANDLE h, const std::wstring& apiPath, std::vector<EXPLICIT_ACCESSW>& entries, PACL current,
                   PSECURITY_DESCRIPTOR sd) {
  PACL next = nullptr;
  DWORD rc = SetEntriesInAclW(static_cast<ULONG>(entries.size()), entries.data(), current, &next);
  if (rc != ERROR_SUCCESS) return Fail("SetEntriesInAclW", apiPath, rc);
  LocalMem nextMem;
  nextMem.p = next;
  SECURITY_DESCRIPTOR_CONTROL control = 0;
  DWORD revision = 0;
  // Checked: on failure `control` would read as "not protected", and writing the DACL back as
  // UNPROTECTED would let the parent's inheritable ACEs into a DACL the owner had protected.
  if (!GetSecurityDescriptorControl(sd, &control, &revision)) return Fail("GetSecurityDescriptorControl", apiPath);
  SECURITY_INFORMATION si = DACL_SECURITY_INFORMATION |
                            ((control & SE_DACL_PROTECTED) ? PROTECTED_DACL_SECURITY_INFORMATION
                                                           : UNPROTECTED_DACL_SECURITY_INFORMATION);
  rc = SetSecurityInfo(h, SE_FILE_OBJECT, si, nullptr, nullptr, next, nullptr);
  if (rc != ERROR_SUCCESS) return Fail("SetSecurityInfo", apiPath, rc);
  return WinError();
}

// Where the open handle really is (junctions followed), as \\?\C:\… / \\?\UNC\…; `*same` tells
// whether that is `expected` (case-insensitive, trailing separators ignored).
WinError SameFinalPath(HANDLE h, const std::wstring& expected, bool* same) {
  *same = false;
  wchar_t buf[1024];
  DWORD n = GetFinalPathNameByHandleW(h, buf, 1024, FILE_NAME_NORMALIZED | VOLUME_NAME_DOS);
  if (n == 0) return Fail("GetFinalPathNameByHandleW", expected);
  std::wstring got;
  if (n < 1024) {
    got.assign(buf, n);
  } else {
    std::vector<wchar_t> big(static_cast<size_t>(n) + 1);
    DWORD m = GetFinalPathNameByHandleW(h, big.data(), n + 1, FILE_NAME_NORMALIZED | VOLUME_NAME_DOS);
    if (m == 0) return Fail("GetFinalPathNameByHandleW", expected);
    if (m > n) return Fail("GetFinalPathNameByHandleW (path changed while reading it)", expected, ERROR_INSUFFICIENT_BUFFER);
    got.assign(big.data(), m);
  }
  std::wstring e = expected;
  while (e.size() > 7 && e.back() == L'\\') e.pop_back();
  while (got.size() > 7 && got.back() == L'\\') got.pop_back();
  *same = CompareStringOrdinal(got.c_str(), static_cast<int>(got.size()), e.c_str(), static_cast<int>(e.size()), TRUE) ==
          CSTR_EQUAL;
  return WinError();
}

// SIDs from their string forms; `mems` owns them until the caller is done.
WinError ParseSids(const std::vector<std::wstring>& texts, std::vector<std::unique_ptr<LocalMem>>* mems,
                   std::vector<PSID>* sids) {
  for (const auto& s : texts) {
    PSID sid = nullptr;
    if (!ConvertStringSidToSidW(s.c_str(), &sid)) return Fail("ConvertStringSidToSidW", s);
    auto m = std::make_unique<LocalMem>();
    m->p = sid;
    mems->push_back(std::move(m));
    sids->push_back(sid);
  }
  return WinError();
}

// The DACL of an open object; `sdMem` owns the descriptor it points into.
WinError ReadDacl(HANDLE h, SE_OBJECT_TYPE type, const std::wstring& name, PACL* dacl, LocalMem* sdMem) {
  PSECURITY_DESCRIPTOR sd = nullptr;
  DWORD rc = GetSecurityInfo(h, type, DACL_SECURITY_INFORMATION, nullptr, nullptr, dacl, nullptr, &sd);
  if (rc != ERROR_SUCCESS) return Fail("GetSecurityInfo", name, rc);
  sdMem->p = sd;
  return WinError();
}

// A NULL DACL (no DACL at all) grants everyone everything, the sandbox included. Merging our ACE
// into it would yield a DACL holding only that ACE and lock the user out of their own directory,
// so it is refused with an explanation instead.
WinError RefuseNullDacl(PACL dacl, const std::wstring& apiPath) {
  if (dacl != nullptr) return WinError();
  return Fail("directory has a NULL DACL (everyone, the sandbox included, has full access); give it a real DACL first (icacls <path> /reset)",
              apiPath, ERROR_INVALID_ACL);
}

EXPLICIT_ACCESSW SidAccess(PSID sid, DWORD rights, ACCESS_MODE mode, DWORD inheritance) {
  EXPLICIT_ACCESSW a{};
  a.grfAccessPermissions = rights;
  a.grfAccessMode = mode;
  a.grfInheritance = inheritance;
  a.Trustee.TrusteeForm = TRUSTEE_IS_SID;
  a.Trustee.TrusteeType = TRUSTEE_IS_UNKNOWN;
  a.Trustee.ptstrName = reinterpret_cast<LPWSTR>(sid);
  return a;
}

}  // namespace

WinError GrantWriteRoot(const std::wstring& apiPath, const std::wstring& sidText, bool* changed) {
  *changed = false;
  LocalMem sidMem;
  PSID sid = nullptr;
  if (!ConvertStringSidToSidW(sidText.c_str(), &sid)) return Fail("ConvertStringSidToSidW", sidText);
  sidMem.p = sid;
  Handle h;
  WinError e = OpenForDacl(apiPath, false, &h);
  if (!e.ok()) return e;
  // The handle was opened through any junction on the way; if it does not land on the directory
  // the plan canonicalised, a link was swapped since planning and the grant would land elsewhere.
  bool same = false;
  e = SameFinalPath(h.h, apiPath, &same);
  if (!e.ok()) return e;
  if (!same) {
    return Fail("writable root changed since planning (now resolves to a different directory: re-run the command)",
                apiPath, ERROR_REPARSE_TAG_MISMATCH);
  }
  PACL dacl = nullptr;
  LocalMem sdMem;
  e = ReadDacl(h.h, SE_FILE_OBJECT, apiPath, &dacl, &sdMem);
  if (!e.ok()) return e;
  e = RefuseNullDacl(dacl, apiPath);
  if (!e.ok()) return e;
  // Already granted by an earlier run on this root: nothing to do (no tree-wide ACL propagation).
  if (HasExplicitAce(dacl, ACCESS_ALLOWED_ACE_TYPE, sid, kWriteGrant, true, kInherit)) return WinError();
  // SET_ACCESS replaces an older grant for this SID (e.g. one with FILE_DELETE_CHILD).
  std::vector<EXPLICIT_ACCESSW> entries{SidAccess(sid, kWriteGrant, SET_ACCESS, SUB_CONTAINERS_AND_OBJECTS_INHERIT)};
  e = MergeDacl(h.h, apiPath, entries, dacl, sdMem.p);
  if (e.ok()) *changed = true;
  return e;
}

WinError DenyWrite(const std::wstring& apiPath, const std::vector<std::wstring>& sidTexts, bool* changed) {
  *changed = false;
  std::vector<std::unique_ptr<LocalMem>> mems;
  std::vector<PSID> sids;
  WinError e = ParseSids(sidTexts, &mems, &sids);
  if (!e.ok()) return e;
  Handle h;
  e = OpenForDacl(apiPath, true, &h);
  if (!e.ok()) return e;
  PACL dacl = nullptr;
  LocalMem sdMem;
  e = ReadDacl(h.h, SE_FILE_OBJECT, apiPath, &dacl, &sdMem);
  if (!e.ok()) return e;
  e = RefuseNullDacl(dacl, apiPath);
  if (!e.ok()) return e;
  std::vector<EXPLICIT_ACCESSW> entries;
  for (PSID sid : sids) {
    if (HasExplicitAce(dacl, ACCESS_DENIED_ACE_TYPE, sid, kDenyWrite, false, kInherit)) continue;
    entries.push_back(SidAccess(sid, kDenyWrite, DENY_ACCESS, SUB_CONTAINERS_AND_OBJECTS_INHERIT));
  }
  if (entries.empty()) return WinError();
  // A failed deny is an error, never skipped: the command would otherwise run with the path writable.
  e = MergeDacl(h.h, apiPath, entries, dacl, sdMem.p);
  if (e.ok()) *changed = true;
  return e;
}

WinError AllowNulDevice(const std::vector<std::wstring>& sidTexts) {
  std::vector<std::unique_ptr<LocalMem>> mems;
  std::vector<PSID> sids;
  WinError e = ParseSids(sidTexts, &mems, &sids);
  if (!e.ok()) return e;
  // As Codex (acl.rs allow_null_device): the device is opened and its DACL edited as a kernel
  // object through the handle. Specific FILE_GENERIC_* rights, not GENERIC_*: an explicit ACE
  // keeps generic bits unmapped, which would make the grant depend on how the device maps them.
  const std::wstring nul = L"\\\\.\\NUL";
  Handle h;
  h.h = CreateFileW(nul.c_str(), READ_CONTROL | WRITE_DAC, FILE_SHARE_READ | FILE_SHARE_WRITE, nullptr, OPEN_EXISTING,
                    FILE_ATTRIBUTE_NORMAL, nullptr);
  if (h.h == INVALID_HANDLE_VALUE) return Fail("CreateFileW(READ_CONTROL|WRITE_DAC)", nul);
  PACL dacl = nullptr;
  LocalMem sdMem;
  e = ReadDacl(h.h, SE_KERNEL_OBJECT, nul, &dacl, &sdMem);
  if (!e.ok()) return e;
  // A NULL DACL already admits everyone; "merging" into it would replace it with our ACEs alone
  // and take NUL away from every other process on the machine until reboot.
  if (dacl == nullptr) return WinError();
  constexpr DWORD kNulAccess = FILE_GENERIC_READ | FILE_GENERIC_WRITE | FILE_GENERIC_EXECUTE;
  std::vector<EXPLICIT_ACCESSW> entries;
  for (PSID sid : sids) {
    if (HasExplicitAce(dacl, ACCESS_ALLOWED_ACE_TYPE, sid, kNulAccess, false, 0)) continue;  // granted by an earlier run
    entries.push_back(SidAccess(sid, kNulAccess, GRANT_ACCESS, NO_INHERITANCE));
  }
  if (entries.empty()) return WinError();
  PACL next = nullptr;
  DWORD rc = SetEntriesInAclW(static_cast<ULONG>(entries.size()), entries.data(), dacl, &next);
  if (rc != ERROR_SUCCESS) return Fail("SetEntriesInAclW", nul, rc);
  LocalMem nextMem;
  nextMem.p = next;
  rc = SetSecurityInfo(h.h, SE_KERNEL_OBJECT, DACL_SECURITY_INFORMATION, nullptr, nullptr, next, nullptr);
  if (rc != ERROR_SUCCESS) return Fail("SetSecurityInfo", nul, rc);
  return WinError();
}

// Removes every explicit allow or deny ACE naming one of `sids` (the sandbox's own capability SIDs:
// `codex-sandbox cleanup`, src/launch/windows-cleanup.ts) from the DACL of `apiPath` (the entry
// itself, a link too), or of the NUL device when `nulDevice`. Inherited copies below a root go
// with it (SetSecurityInfo propagates). ACEs for any other SID are never touched.
WinError RemoveSandboxAces(const std::wstring& apiPath, const std::vector<std::wstring>& sidTexts, bool nulDevice,
                           unsigned* removed) {
  *removed = 0;
  std::vector<std::unique_ptr<LocalMem>> mems;
  std::vector<PSID> sids;
  WinError e = ParseSids(sidTexts, &mems, &sids);
  if (!e.ok()) return e;
  Handle h;
  const std::wstring name = nulDevice ? std::wstring(L"\\\\.\\NUL") : apiPath;
  if (nulDevice) {
    h.h = CreateFileW(name.c_str(), READ_CONTROL | WRITE_DAC, FILE_SHARE_READ | FILE_SHARE_WRITE, nullptr, OPEN_EXISTING,
                      FILE_ATTRIBUTE_NORMAL, nullptr);
    if (h.h == INVALID_HANDLE_VALUE) return Fail("CreateFileW(READ_CONTROL|WRITE_DAC)", name);
  } else {
    e = OpenForDacl(apiPath, true, &h);
    if (!e.ok()) return e;
  }
  const SE_OBJECT_TYPE type = nulDevice ? SE_KERNEL_OBJECT : SE_FILE_OBJECT;
  PACL dacl = nullptr;
  LocalMem sdMem;
  e = ReadDacl(h.h, type, name, &dacl, &sdMem);
  if (!e.ok()) return e;
  if (dacl == nullptr) return WinError();
  for (DWORD i = dacl->AceCount; i-- > 0;) {
    void* raw = nullptr;
    if (!GetAce(dacl, i, &raw)) continue;
    auto* hdr = static_cast<ACE_HEADER*>(raw);
    if (hdr->AceType != ACCESS_ALLOWED_ACE_TYPE && hdr->AceType != ACCESS_DENIED_ACE_TYPE) continue;
    if ((hdr->AceFlags & INHERITED_ACE) != 0) continue;
    auto* ace = static_cast<ACCESS_ALLOWED_ACE*>(raw);
    bool ours = false;
    for (PSID sid : sids) ours = ours || EqualSid(reinterpret_cast<PSID>(&ace->SidStart), sid);
    if (!ours) continue;
    if (!DeleteAce(dacl, i)) return Fail("DeleteAce", name);
    (*removed)++;
  }
  if (*removed == 0) return WinError();
  SECURITY_INFORMATION si = DACL_SECURITY_INFORMATION;
  if (!nulDevice) {
    SECURITY_DESCRIPTOR_CONTROL control = 0;
    DWORD revision = 0;
    if (!GetSecurityDescriptorControl(sdMem.p, &control, &revision)) return Fail("GetSecurityDescriptorControl", name);
    si |= (control & SE_DACL_PROTECTED) ? PROTECTED_DACL_SECURITY_INFORMATION : UNPROTECTED_DACL_SECURITY_INFORMATION;
  }
  DWORD rc = SetSecurityInfo(h.h, type, si, nullptr, nullptr, dacl, nullptr);
  if (rc != ERROR_SUCCESS) return Fail("SetSecurityInfo", name, rc);
  return WinError();
}

// Whether this process runs elevated (TokenElevation). Only an elevated caller edits the NUL
// device's machine-wide DACL; anyone else is refused WRITE_DAC on it.
bool IsElevated() {
  HANDLE t = nullptr;
  if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &t)) return false;
  TOKEN_ELEVATION el{};
  DWORD len = 0;
  bool ok = GetTokenInformation(t, TokenElevation, &el, sizeof(el), &len) != 0;
  CloseHandle(t);
  return ok && el.TokenIsElevated != 0;
}

}  // namespace cxsb

// Error and string helpers for the Windows native layer.
#include "win_internal.h"

namespace cxsb {

WinError Fail(const char* what, const std::wstring& path, DWORD code) {
  WinError e;
  e.code = code;
  e.what = what;
  e.path = Utf8(path);
  return e;
}

std::wstring Wide(const std::string& utf8) {
  if (utf8.empty()) return std::wstring();
  int n = MultiByteToWideChar(CP_UTF8, 0, utf8.data(), static_cast<int>(utf8.size()), nullptr, 0);
  if (n <= 0) return std::wstring();
  std::wstring out(static_cast<size_t>(n), L'\0');
  MultiByteToWideChar(CP_UTF8, 0, utf8.data(), static_cast<int>(utf8.size()), &out[0], n);
  return out;
}

std::string Utf8(const std::wstring& wide) {
  if (wide.empty()) return std::string();
  int n = WideCharToMultiByte(CP_UTF8, 0, wide.data(), static_cast<int>(wide.size()), nullptr, 0, nullptr, nullptr);
  if (n <= 0) return std::string();
  std::string out(static_cast<size_t>(n), '\0');
  WideCharToMultiByte(CP_UTF8, 0, wide.data(), static_cast<int>(wide.size()), &out[0], n, nullptr, nullptr);
  return out;
}

std::string FormatWinError(const WinError& e) {
  wchar_t* buf = nullptr;
  DWORD len = FormatMessageW(FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
                             nullptr, e.code, 0, reinterpret_cast<wchar_t*>(&buf), 0, nullptr);
  std::wstring sys = len && buf ? std::wstring(buf, len) : std::wstring();
  if (buf) LocalFree(buf);
  while (!sys.empty() && (sys.back() == L'\n' || sys.back() == L'\r' || sys.back() == L' ')) sys.pop_back();
  std::string msg = e.what;
  if (!e.path.empty()) msg += " '" + e.path + "'";
  msg += " failed: Windows error " + std::to_string(e.code);
  if (!sys.empty()) msg += " (" + Utf8(sys) + ")";
  return msg;
}

}  // namespace cxsb

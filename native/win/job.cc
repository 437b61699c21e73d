// The job object that holds the whole process tree (JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE).
#include "win_internal.h"

namespace cxsb {

WinError CreateKillOnCloseJob(HANDLE* job) {
  // No SECURITY_ATTRIBUTES: the handle is not inheritable. A child holding it could keep
  // kill-on-close from ever firing, or change the job's limits.
  HANDLE h = CreateJobObjectW(nullptr, nullptr);
  if (!h) return Fail("CreateJobObjectW");
  JOBOBJECT_EXTENDED_LIMIT_INFORMATION li{};
  // KILL_ON_JOB_CLOSE: the tree dies with its launcher (our handle closes when Node exits or
  // crashes). No BREAKAWAY_OK: a child cannot leave the job with CREATE_BREAKAWAY_FROM_JOB.
  li.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE | JOB_OBJECT_LIMIT_DIE_ON_UNHANDLED_EXCEPTION;
  if (!SetInformationJobObject(h, JobObjectExtendedLimitInformation, &li, sizeof li)) {
    WinError e = Fail("SetInformationJobObject(KILL_ON_JOB_CLOSE)");
    CloseHandle(h);
    return e;
  }
  *job = h;
  return WinError();
}

WinError TerminateJob(HANDLE job, UINT exitCode) {
  // Kills every process in the job in the kernel; unlike `taskkill /T` nothing is printed.
  if (!TerminateJobObject(job, exitCode)) return Fail("TerminateJobObject");
  return WinError();
}

WinError JobActiveProcesses(HANDLE job, DWORD* count) {
  JOBOBJECT_BASIC_ACCOUNTING_INFORMATION acct{};
  if (!QueryInformationJobObject(job, JobObjectBasicAccountingInformation, &acct, sizeof acct, nullptr)) {
    return Fail("QueryInformationJobObject(BasicAccounting)");
  }
  *count = acct.ActiveProcesses;
  return WinError();
}

}  // namespace cxsb

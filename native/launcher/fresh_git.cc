#include "fresh_git.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "fail.h"

namespace {

struct Prepared {
  int root_fd;        // the pinned root (O_PATH), kept by the launcher while it lives
  int registry_fd;    // the registry directory holding the staging directory
  std::string stage;  // name of the staging directory in the registry directory
  std::string root;
  int lock_fd = -1;   // own open of the staging directory, flock(LOCK_EX) while this launcher lives
  unsigned long long mount_dev = 0;  // ROOT/.git as created here (the empty mount point)
  unsigned long long mount_ino = 0;
};

std::vector<Prepared> g_prepared;

constexpr int kMaxDepth = 40;            // refs/heads/a/b/... deeper than this is dropped
constexpr size_t kMaxReported = 24;      // names listed in the report
constexpr size_t kMaxConfigBytes = 1 << 16;

// Lists a directory's entry names (no "." / ".."), sorted. false when it cannot be read.
bool list_dir(int dirfd, std::vector<std::string>* names) {
  int fd = dup(dirfd);
  if (fd < 0) return false;
  DIR* dir = fdopendir(fd);
  if (dir == nullptr) {
    close(fd);
    return false;
  }
  rewinddir(dir);
  errno = 0;
  while (struct dirent* e = readdir(dir)) {
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) names->push_back(e->d_name);
  }
  const bool ok = errno == 0;
  closedir(dir);
  std::sort(names->begin(), names->end());
  return ok;
}

// Opens an entry of `dirfd` as a directory without following a symlink (-1 otherwise).
int open_subdir(int dirfd, const char* name) {
  return openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

// Removes the entry `name` of `dirfd` and everything under it, never following a symlink (a
// directory is opened O_NOFOLLOW|O_DIRECTORY; anything else is unlinked, not opened).
void remove_tree(int dirfd, const char* name, int depth) {
  struct stat st;
  if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) return;
  if (S_ISDIR(st.st_mode) && depth < 256) {
    // The sandbox may have left a directory without search permission (its owner may restore it).
    if ((st.st_mode & S_IRWXU) != S_IRWXU && fchmodat(dirfd, name, 0700, 0) < 0) warn_errno("chmod in the git staging directory", name, errno);
    int sub = open_subdir(dirfd, name);
    if (sub >= 0) {
      std::vector<std::string> names;
      list_dir(sub, &names);
      for (const std::string& n : names) remove_tree(sub, n.c_str(), depth + 1);
      close(sub);
    }
    if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0) warn_errno("removing the git staging directory", name, errno);
  } else if (unlinkat(dirfd, name, 0) < 0) {
    warn_errno("removing from the git staging directory", name, errno);
  }
}

struct Report {
  std::vector<std::string> dropped;
  bool failed = false;
  void drop(const std::string& what) { dropped.push_back(what); }
};

// Copies the regular file `name` (no symlink followed, not a fifo or device: O_NONBLOCK|O_NOFOLLOW
// then fstat) from `src` to a new file in `dst` (O_EXCL: nothing is overwritten), without exec bits.
bool copy_file(int src, int dst, const char* name, const std::string& rel, Report* report) {
  int in = openat(src, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  struct stat st;
  if (in < 0 || fstat(in, &st) < 0 || !S_ISREG(st.st_mode)) {
    if (in >= 0) close(in);
    report->drop(rel + (in < 0 && errno == ELOOP ? " (symlink)" : " (not a regular file)"));
    return false;
  }
  const mode_t mode = (st.st_mode & 0200) != 0 ? 0644 : 0444;
  int out = openat(dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (out < 0) {
    warn_errno("accepting the new repository: creating", rel.c_str(), errno);
    report->failed = true;
    close(in);
    return false;
  }
  char buf[65536];
  bool ok = true;
  for (;;) {
    ssize_t n = read(in, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      warn_errno("accepting the new repository: reading", rel.c_str(), errno);
      ok = false;
      break;
    }
    if (n == 0) break;
    for (ssize_t off = 0; off < n;) {
      ssize_t w = write(out, buf + off, static_cast<size_t>(n - off));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) {
        warn_errno("accepting the new repository: writing", rel.c_str(), errno);
        ok = false;
        break;
      }
      off += w;
    }
    if (!ok) break;
  }
  close(in);
  if (close(out) < 0 && ok) {
    warn_errno("accepting the new repository: writing", rel.c_str(), errno);
    ok = false;
  }
  if (!ok) report->failed = true;
  return ok;
}

// Copies the directory tree `name` (directories and regular files only) from `src` into `dst`.
// `skip_sub`: a child directory created empty instead of copied (objects/info: alternates).
void copy_tree(int src, int dst, const char* name, const std::string& rel, int depth, const char* skip_sub, Report* report) {
  int from = open_subdir(src, name);
  if (from < 0) {
    report->drop(rel + (errno == ENOTDIR || errno == ELOOP ? " (not a directory)" : " (unreadable)"));
    return;
  }
  if (depth > kMaxDepth) {
    report->drop(rel + " (too deep)");
    close(from);
    return;
  }
  if (mkdirat(dst, name, 0755) < 0) {
    warn_errno("accepting the new repository: creating", rel.c_str(), errno);
    report->failed = true;
    close(from);
    return;
  }
  int to = open_subdir(dst, name);
  if (to < 0) {
    warn_errno("accepting the new repository: opening", rel.c_str(), errno);
    report->failed = true;
    close(from);
    return;
  }
  std::vector<std::string> names;
  if (!list_dir(from, &names)) report->drop(rel + " (unreadable)");
  for (const std::string& n : names) {
    const std::string child = rel + "/" + n;
    struct stat st;
    if (fstatat(from, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) continue;
    if (S_ISDIR(st.st_mode)) {
      if (skip_sub != nullptr && n == skip_sub) {
        // objects/info/alternates and http-alternates make git read another repository's objects.
        std::vector<std::string> inner;
        int sub = open_subdir(from, n.c_str());
        if (sub >= 0) {
          list_dir(sub, &inner);
          close(sub);
        }
        for (const std::string& i : inner) report->drop(child + "/" + i);
        if (mkdirat(to, n.c_str(), 0755) < 0) report->failed = true;
        continue;
      }
      copy_tree(from, to, n.c_str(), child, depth + 1, nullptr, report);
    } else if (S_ISREG(st.st_mode)) {
      copy_file(from, to, n.c_str(), child, report);
    } else {
      report->drop(child + (S_ISLNK(st.st_mode) ? " (symlink)" : " (not a regular file)"));
    }
  }
  close(from);
  close(to);
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return s;
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

// The config the host gets: a fixed template, with only these staged values taken (each checked
// against its few valid spellings). Every other key — core.hooksPath, core.fsmonitor, core.sshCommand,
// core.pager, alias.*, filter.*, include.path, ... (git-config(1): they run programs or load files) —
// is dropped and named.
std::string accepted_config(int stage_fd, Report* report) {
  std::string version = "0", filemode = "true", logall = "true", symlinks, ignorecase, objectformat;
  std::string text;
  int fd = openat(stage_fd, "config", O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  struct stat st;
  if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    char buf[4096];
    ssize_t n;
    while (text.size() < kMaxConfigBytes && (n = read(fd, buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
    if (text.size() >= kMaxConfigBytes) {
      report->drop("config (over 64 KiB; only the template kept)");
      text.clear();
    }
  } else if (fd >= 0 || errno != ENOENT) {
    report->drop("config (not a regular file)");
  }
  if (fd >= 0) close(fd);
  std::string section;
  std::vector<std::string> dropped_keys;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = trim(text.substr(start, end - start));
    start = end + 1;
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line[0] == '[') {
      size_t close_at = line.find(']');
      std::string head = close_at == std::string::npos ? line.substr(1) : line.substr(1, close_at - 1);
      size_t quote = head.find('"');
      // [section "sub"] keeps its subsection's case; only the report uses it.
      section = quote == std::string::npos ? lower(trim(head)) : lower(trim(head.substr(0, quote))) + "." + head.substr(quote + 1, head.rfind('"') > quote ? head.rfind('"') - quote - 1 : std::string::npos);
      if (close_at != std::string::npos) line = trim(line.substr(close_at + 1));
      else line.clear();
      if (line.empty()) continue;
    }
    size_t eq = line.find('=');
    std::string key = lower(trim(eq == std::string::npos ? line : line.substr(0, eq)));
    std::string value = lower(trim(eq == std::string::npos ? "true" : line.substr(eq + 1)));
    const std::string full = section + "." + key;
    const bool boolean = value == "true" || value == "false";
    if (full == "core.repositoryformatversion" && (value == "0" || value == "1")) version = value;
    else if (full == "core.filemode" && boolean) filemode = value;
    else if (full == "core.logallrefupdates" && boolean) logall = value;
    else if (full == "core.symlinks" && boolean) symlinks = value;
    else if (full == "core.ignorecase" && boolean) ignorecase = value;
    else if (full == "core.bare" && value == "false") continue;
    else if (full == "extensions.objectformat" && (value == "sha1" || value == "sha256")) objectformat = value;
    else if (std::find(dropped_keys.begin(), dropped_keys.end(), full) == dropped_keys.end()) dropped_keys.push_back(full);
  }
  for (const std::string& k : dropped_keys) report->drop("config " + k);
  if (!objectformat.empty() && objectformat != "sha1") version = "1";
  std::string out = "[core]\n\trepositoryformatversion = " + version + "\n\tfilemode = " + filemode + "\n\tbare = false\n\tlogallrefupdates = " + logall + "\n";
  if (!symlinks.empty()) out += "\tsymlinks = " + symlinks + "\n";
  if (!ignorecase.empty()) out += "\tignorecase = " + ignorecase + "\n";
  if (!objectformat.empty() && objectformat != "sha1") out += "[extensions]\n\tobjectformat = " + objectformat + "\n";
  return out;
}

bool write_new_file(int dirfd, const char* name, const std::string& data, const std::string& rel) {
  int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) {
    warn_errno("accepting the new repository: creating", rel.c_str(), errno);
    return false;
  }
  const bool ok = write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size());
  if (!ok) warn_errno("accepting the new repository: writing", rel.c_str(), errno);
  return close(fd) == 0 && ok;
}

// Plain data git stores or verifies by hash (gitrepository-layout(5)); HEAD is copied last.
const char* const kDataFiles[] = {"index", "packed-refs", "description", "COMMIT_EDITMSG", "ORIG_HEAD", "FETCH_HEAD", "MERGE_HEAD",
                                   "MERGE_MSG", "MERGE_MODE", "MERGE_RR", "CHERRY_PICK_HEAD", "REVERT_HEAD", "AUTO_MERGE", "shallow"};
const char* const kDataTrees[] = {"refs", "logs"};

bool is_data_file(const std::string& n) {
  for (const char* f : kDataFiles) {
    if (n == f) return true;
  }
  return false;
}

void report_line(const Prepared& p, const char* verdict, const Report& report) {
  std::string line = std::string("codex-sandbox: git: ") + verdict + " " + p.root + "/.git";
  std::vector<std::string> samples;
  std::vector<std::string> named;
  for (const std::string& d : report.dropped) {
    const bool sample = d.rfind("hooks/", 0) == 0 && d.size() > 7 && d.compare(d.size() - 7, 7, ".sample") == 0;
    (sample ? samples : named).push_back(d);
  }
  if (!named.empty() || !samples.empty()) {
    line += "; not kept (hooks, other config keys and anything that is not repository data): ";
    for (size_t i = 0; i < named.size() && i < kMaxReported; ++i) line += (i ? ", " : "") + named[i];
    if (named.size() > kMaxReported) line += ", and " + std::to_string(named.size() - kMaxReported) + " more";
    if (!samples.empty()) line += std::string(named.empty() ? "" : ", ") + std::to_string(samples.size()) + " hooks/*.sample";
  }
  line += "\n";
  (void)!write(STDERR_FILENO, line.data(), line.size());
}

// Is `name` of `dirfd` an empty directory with this identity?
bool is_mount_point_dir(int dirfd, unsigned long long dev, unsigned long long ino, int* opened) {
  int fd = open_subdir(dirfd, ".git");
  if (fd < 0) return false;
  // Two staged runs of one project can end together (both staged over the same empty mount point):
  // the lock makes "still empty? then copy" one step, so the second finds it full and accepts nothing
  // (never a mix of two repositories). Held until the caller closes the fd, after the copy (flock(2)).
  while (flock(fd, LOCK_EX) < 0) {
    if (errno != EINTR) {
      warn_errno("locking the new repository's directory", ".git", errno);
      close(fd);
      return false;
    }
  }
  struct stat st;
  std::vector<std::string> names;
  if (fstat(fd, &st) < 0 || static_cast<unsigned long long>(st.st_dev) != dev || static_cast<unsigned long long>(st.st_ino) != ino ||
      !list_dir(fd, &names) || !names.empty()) {
    close(fd);
    return false;
  }
  *opened = fd;
  return true;
}

// Returns true when the staging directory was found empty (then there is nothing to accept).
bool accept_one(const Prepared& p) {
  int stage = open_subdir(p.registry_fd, p.stage.c_str());
  if (stage < 0) {
    warn_errno("opening the git staging directory", p.stage.c_str(), errno);
    return false;
  }
  std::vector<std::string> names;
  const bool listed = list_dir(stage, &names);
  Report report;
  if (names.empty()) {
    close(stage);
    return listed;  // no git init: nothing to say; the empty mount point is the registry's placeholder
  }
  struct stat head;
  const bool repo = fstatat(stage, "HEAD", &head, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(head.st_mode);
  int gitdir = -1;
  if (!repo) {
    for (const std::string& n : names) report.drop(n);
    report_line(p, "no repository was made (no HEAD) in", report);
  } else if (!is_mount_point_dir(p.root_fd, p.mount_dev, p.mount_ino, &gitdir)) {
    // Someone made (or replaced) ROOT/.git meanwhile: never merged with, never overwritten, and the
    // staged copy is not left where the caller runs git.
    report.drop("everything (it changed during the run: another repository is there now)");
    report_line(p, "new repository NOT accepted at", report);
  } else {
    for (const std::string& n : names) {
      if (n == "HEAD" || n == "config") continue;
      struct stat st;
      if (fstatat(stage, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) continue;
      if (n == "objects" && S_ISDIR(st.st_mode)) {
        copy_tree(stage, gitdir, "objects", "objects", 1, "info", &report);
      } else if ((n == kDataTrees[0] || n == kDataTrees[1]) && S_ISDIR(st.st_mode)) {
        copy_tree(stage, gitdir, n.c_str(), n, 1, nullptr, &report);
      } else if (is_data_file(n) && S_ISREG(st.st_mode)) {
        copy_file(stage, gitdir, n.c_str(), n, &report);
      } else if (n == "info" && S_ISDIR(st.st_mode)) {
        // info/exclude is ignore patterns (data); info/attributes selects filter drivers: dropped.
        int info = open_subdir(stage, "info");
        std::vector<std::string> inner;
        if (info >= 0) list_dir(info, &inner);
        if (mkdirat(gitdir, "info", 0755) < 0) report.failed = true;
        int to = open_subdir(gitdir, "info");
        for (const std::string& i : inner) {
          if (i == "exclude" && info >= 0 && to >= 0) copy_file(info, to, "exclude", "info/exclude", &report);
          else report.drop("info/" + i);
        }
        if (info >= 0) close(info);
        if (to >= 0) close(to);
      } else if (n == "hooks" && S_ISDIR(st.st_mode)) {
        int hooks = open_subdir(stage, "hooks");
        std::vector<std::string> inner;
        if (hooks >= 0) {
          list_dir(hooks, &inner);
          close(hooks);
        }
        for (const std::string& h : inner) report.drop("hooks/" + h);
      } else {
        report.drop(n + (S_ISDIR(st.st_mode) ? "/" : ""));
      }
    }
    const std::string config = accepted_config(stage, &report);
    if (!write_new_file(gitdir, "config", config, "config")) report.failed = true;
    // HEAD last: until it exists the directory is not a repository to git (setup.c is_git_directory).
    if (!report.failed) copy_file(stage, gitdir, "HEAD", "HEAD", &report);
    if (report.failed) {
      report_line(p, "the new repository could not be accepted completely (left without HEAD, so not a repository) at", report);
    } else {
      report_line(p, "new repository accepted at", report);
    }
    close(gitdir);
  }
  close(stage);
  return false;
}

// A launcher killed with SIGKILL leaves its staging directory behind. Each live launcher holds flock(2)
// LOCK_EX on its own open of its staging directory (released by the kernel when it dies), so one that
// can be locked and is over a minute old (a new one is locked microseconds after mkdirat) is stale.
void sweep_stale_staging(int registry_fd) {
  std::vector<std::string> names;
  int dir = openat(registry_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return;
  list_dir(dir, &names);
  close(dir);
  const time_t now = time(nullptr);
  for (const std::string& n : names) {
    if (n.rfind("fresh-git-", 0) != 0) continue;
    struct stat st;
    if (fstatat(registry_fd, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode) || now - st.st_mtime < 60) continue;
    int fd = open_subdir(registry_fd, n.c_str());
    if (fd < 0) continue;
    if (flock(fd, LOCK_EX | LOCK_NB) == 0) remove_tree(registry_fd, n.c_str(), 0);
    close(fd);
  }
}

}  // namespace

void fresh_git_prepare(const std::vector<FreshGitSpec>& specs, const Registry& registry) {
  if (specs.empty()) return;
  if (registry.dir_fd < 0) die_msg("--fresh-git needs --registry (the staging directory lives there)");
  sweep_stale_staging(registry.dir_fd);
  for (const FreshGitSpec& spec : specs) {
    Prepared p;
    // Our own copy: the supervisor closes the placed fds once bwrap has them (supervise.cc).
    p.root_fd = fcntl(spec.root_target, F_DUPFD_CLOEXEC, 3);
    if (p.root_fd < 0) die_errno("fcntl(F_DUPFD_CLOEXEC) of", "the pinned writable root", errno);
    p.registry_fd = registry.dir_fd;
    p.root = spec.root;
    struct stat st;
    if (fstat(p.root_fd, &st) < 0 || !S_ISDIR(st.st_mode)) die_msg("--fresh-git: fd %d is not the pinned writable root %s", spec.root_target, spec.root);
    // The mount point: created here, not by bwrap, so its identity is known at acceptance.
    if (mkdirat(p.root_fd, ".git", 0755) < 0 && errno != EEXIST) die_errno("creating the mount point of the new repository in", spec.root, errno);
    int mount_fd = -1;
    std::vector<std::string> names;
    mount_fd = open_subdir(p.root_fd, ".git");
    if (mount_fd < 0 || fstat(mount_fd, &st) < 0 || !list_dir(mount_fd, &names) || !names.empty()) {
      die_at("staging a new repository", spec.root, 0,
             "%s/.git appeared since the sandbox was planned (it is no longer missing or empty); nothing was run — retry", spec.root);
    }
    close(mount_fd);
    p.mount_dev = static_cast<unsigned long long>(st.st_dev);
    p.mount_ino = static_cast<unsigned long long>(st.st_ino);
    unsigned char rnd[8];
    if (getrandom(rnd, sizeof rnd, 0) != static_cast<ssize_t>(sizeof rnd)) die_errno("getrandom for", "the git staging directory", errno);
    char name[64];
    snprintf(name, sizeof name, "fresh-git-%d-%02x%02x%02x%02x%02x%02x%02x%02x", static_cast<int>(getpid()), rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
    if (mkdirat(registry.dir_fd, name, 0700) < 0) die_errno("creating the git staging directory in", registry.path.c_str(), errno);
    p.stage = name;
    int stage_fd = open_subdir(registry.dir_fd, name);
    if (stage_fd < 0) die_errno("opening the git staging directory in", registry.path.c_str(), errno);
    p.lock_fd = open_subdir(registry.dir_fd, name);
    if (p.lock_fd < 0) die_errno("opening the git staging directory in", registry.path.c_str(), errno);
    if (flock(p.lock_fd, LOCK_EX | LOCK_NB) < 0) die_errno("locking the git staging directory", name, errno);
    // dup2 clears CLOEXEC: bwrap inherits it for --bind-fd (the target was reserved by options.cc).
    if (dup2(stage_fd, spec.stage_target) < 0) die_errno("dup2 of", "the git staging directory", errno);
    close(stage_fd);
    g_prepared.push_back(p);
  }
}

void fresh_git_finish() {
  for (const Prepared& p : g_prepared) {
    // The usual run makes no repository: its staging directory, just listed empty, goes with one
    // rmdir instead of a second listing (remove_tree). Every sandboxed process is dead by now (bwrap
    // has exited: pid namespace) and no sandbox sees the registry directory, so nothing can have
    // filled it since; if anything did, rmdir fails (ENOTEMPTY) and remove_tree empties it as before.
    const bool empty = accept_one(p);
    if (!empty || unlinkat(p.registry_fd, p.stage.c_str(), AT_REMOVEDIR) < 0) remove_tree(p.registry_fd, p.stage.c_str(), 0);
    if (p.lock_fd >= 0) close(p.lock_fd);
  }
  g_prepared.clear();
}

#include "command_env.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <string>

#include "fail.h"
#include "payload.h"

extern char** environ;

const char kCommandEnvPrefix[] = "CODEX_SANDBOX_COMMAND_ENV_";
const char kCommandArgvPrefix[] = "CODEX_SANDBOX_COMMAND_ARGV_";

namespace {

// Below MAX_ARG_STRLEN (32 pages: 128 KiB with 4 KiB pages), name and '=' included.
constexpr size_t kChunkBytes = 96 * 1024;
constexpr int kMaxChunks = 1024;

std::vector<char*>* g_environment = nullptr;  // owned until exec; never freed

}  // namespace

void use_environment(std::vector<char*>* env) {
  if (env->empty() || env->back() != nullptr) env->push_back(nullptr);
  g_environment = env;
  environ = env->data();
}

namespace {

// Appends `records` packed as <length>:<bytes> to `out`, in kChunkBytes pieces named prefix<N>.
void push_chunks(const char* prefix, const std::vector<char*>& records, const char* what, std::vector<char*>* out) {
  std::string packed;
  for (const char* entry : records) {
    if (entry == nullptr) break;
    packed += std::to_string(strlen(entry));
    packed += ':';
    packed += entry;
  }
  size_t chunks = (packed.size() + kChunkBytes - 1) / kChunkBytes;
  if (chunks == 0) chunks = 1;  // an empty environment is still "the command's environment"
  if (chunks > static_cast<size_t>(kMaxChunks)) die_msg("%s is too large (%zu bytes)", what, packed.size());
  for (size_t i = 0; i < chunks; ++i) {
    const std::string part = packed.substr(i * kChunkBytes, kChunkBytes);
    std::string var = prefix + std::to_string(i) + "=" + part;
    char* copy = strdup(var.c_str());
    if (copy == nullptr) die_errno("strdup for", what, ENOMEM);
    out->push_back(copy);
  }
}

// Concatenates the prefix<N> variables; `found` is how many there were.
std::string read_chunks(const char* prefix, int* found) {
  std::string packed;
  for (*found = 0; *found < kMaxChunks; ++*found) {
    char name[64];
    snprintf(name, sizeof name, "%s%d", prefix, *found);
    const char* part = getenv(name);
    if (part == nullptr) break;
    packed += part;
  }
  return packed;
}

}  // namespace

void export_command_env(const std::vector<char*>& env, const std::vector<char*>& argv) {
  auto* out = new std::vector<char*>();
  push_chunks(kCommandEnvPrefix, env, "the command's environment", out);
  if (!argv.empty()) push_chunks(kCommandArgvPrefix, argv, "the command's argument list", out);
  use_environment(out);
}

std::vector<char*> import_command_argv() {
  int found = 0;
  const std::string packed = read_chunks(kCommandArgvPrefix, &found);
  if (found == 0) die_msg("--command-from-env: no %s0 in the environment (the launcher puts the command there)", kCommandArgvPrefix);
  for (int i = 0; i < found; ++i) {
    char name[64];
    snprintf(name, sizeof name, "%s%d", kCommandArgvPrefix, i);
    if (unsetenv(name) < 0) die_errno("unsetenv", name, errno);
  }
  std::vector<char*> argv = decode_records(packed.data(), packed.size(), "the command's argument list");
  if (argv.empty()) die_msg("--command-from-env: the command's argument list is empty");
  argv.push_back(nullptr);
  return argv;
}

bool import_command_env() {
  int found = 0;
  const std::string packed = read_chunks(kCommandEnvPrefix, &found);
  if (found == 0) return false;
  auto* env = new std::vector<char*>(decode_records(packed.data(), packed.size(), "the command's environment"));
  use_environment(env);
  return true;
}

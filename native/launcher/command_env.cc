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

void export_command_env(const std::vector<char*>& env) {
  std::string packed;
  for (const char* entry : env) {
    if (entry == nullptr) break;
    packed += std::to_string(strlen(entry));
    packed += ':';
    packed += entry;
  }
  auto* out = new std::vector<char*>();
  size_t chunks = (packed.size() + kChunkBytes - 1) / kChunkBytes;
  if (chunks == 0) chunks = 1;  // an empty environment is still "the command's environment"
  if (chunks > static_cast<size_t>(kMaxChunks)) die_msg("the command's environment is too large (%zu bytes)", packed.size());
  for (size_t i = 0; i < chunks; ++i) {
    const std::string part = packed.substr(i * kChunkBytes, kChunkBytes);
    std::string var = kCommandEnvPrefix + std::to_string(i) + "=" + part;
    char* copy = strdup(var.c_str());
    if (copy == nullptr) die_errno("strdup for", "the command's environment", ENOMEM);
    out->push_back(copy);
  }
  use_environment(out);
}

bool import_command_env() {
  std::string packed;
  int found = 0;
  for (; found < kMaxChunks; ++found) {
    char name[64];
    snprintf(name, sizeof name, "%s%d", kCommandEnvPrefix, found);
    const char* part = getenv(name);
    if (part == nullptr) break;
    packed += part;
  }
  if (found == 0) return false;
  auto* env = new std::vector<char*>(decode_records(packed.data(), packed.size(), "the command's environment"));
  use_environment(env);
  return true;
}

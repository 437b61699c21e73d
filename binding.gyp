{
  "variables": {
    "napi_include": "<!(node -p \"require('node-addon-api').include_dir\")"
  },
  "targets": [
    {
      # Writes <(PRODUCT_DIR)/bwrap_sha256.h (and, via vendor/bubblewrap/build.sh when present,
      # the bundled <(PRODUCT_DIR)/bwrap). Runs before the launcher and the addon compile.
      "target_name": "bwrap_digest",
      "type": "none",
      "conditions": [
        ["OS=='linux'", {
          "actions": [
            {
              "action_name": "bwrap_digest_header",
              "inputs": ["native/scripts/bwrap-digest-header.mjs"],
              "outputs": ["<(PRODUCT_DIR)/bwrap_sha256.h"],
              "action": ["node", "native/scripts/bwrap-digest-header.mjs", "<(PRODUCT_DIR)"],
              "message": "Generating bwrap_sha256.h (bundled bubblewrap)"
            }
          ]
        }]
      ]
    },
    {
      "target_name": "codex_sandbox",
      "dependencies": ["bwrap_digest"],
      "sources": ["native/addon.cc"],
      "include_dirs": ["<(napi_include)"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra"],
      "conditions": [
        ["OS=='linux'", {
          "sources": [
            "native/common/napi_errors.cc",
            "native/common/sha256.c",
            "native/linux/addon_linux.cc",
            "native/linux/fd_watch.cc",
            "native/linux/landlock.cc",
            "native/linux/probe.cc",
            "native/linux/sealed_copy.cc",
            "native/linux/seccomp_filter.cc",
            "native/linux/spawn.cc"
          ],
          "include_dirs": ["<(PRODUCT_DIR)"],
          "cflags_c": ["-std=c11", "-Wall", "-Wextra"],
          # libseccomp is linked in statically and its symbols kept private: no runtime
          # dependency on the host's libseccomp, no clash with another addon's copy.
          "libraries": ["-l:libseccomp.a"],
          "ldflags": ["-Wl,--exclude-libs,ALL"]
        }],
        ["OS=='win'", {
          "sources": [
            "native/win/util.cc",
            "native/win/token.cc",
            "native/win/acl.cc",
            "native/win/job.cc",
            "native/win/win_addon.cc"
          ],
          "defines": ["_WIN32_WINNT=0x0A00", "UNICODE", "_UNICODE"],
          # /EHsc: the standard containers in native/win are compiled with C++ exception semantics
          # (MSVC warns C4530 otherwise); N-API errors still go through return values, not throws.
          "msvs_settings": {"VCCLCompilerTool": {"ExceptionHandling": 1}},
          "libraries": ["advapi32.lib"]
        }]
      ]
    }
  ],
  "conditions": [
    ["OS=='linux'", {
      "targets": [
        {
          # Compiles each seccomp mode's rules to BPF once, at build time (native/linux/seccomp_gen.cc).
          "target_name": "seccomp-bpf-gen",
          "type": "executable",
          "sources": ["native/linux/seccomp_filter.cc", "native/linux/seccomp_gen.cc"],
          "cflags_cc": ["-std=c++17", "-Wall", "-Wextra"],
          "libraries": ["-l:libseccomp.a"]
        },
        {
          # <(PRODUCT_DIR)/seccomp_bpf.h (the programs the launcher embeds) and seccomp-*.bpf (for the test
          # that compares them with the addon's).
          "target_name": "seccomp_bpf_header",
          "type": "none",
          "dependencies": ["seccomp-bpf-gen"],
          "actions": [
            {
              "action_name": "seccomp_bpf_header",
              "inputs": ["<(PRODUCT_DIR)/seccomp-bpf-gen"],
              "outputs": ["<(PRODUCT_DIR)/seccomp_bpf.h"],
              "action": ["<(PRODUCT_DIR)/seccomp-bpf-gen", "<(PRODUCT_DIR)"],
              "message": "Generating seccomp_bpf.h (the launcher's seccomp programs)"
            }
          ]
        },
        {
          # The child-side program: fd hygiene, parent-death signal, seccomp, verified bwrap exec,
          # signal forwarding, registry cleanup, and the inner exec stage. Fully static so the inner
          # stage runs inside sandboxes whose read roots may not include the host's libraries.
          "target_name": "codex-sandbox-launcher",
          "type": "executable",
          "dependencies": ["bwrap_digest", "seccomp_bpf_header"],
          "sources": [
            "native/common/sha256.c",
            "native/linux/seccomp_filter.cc",
            "native/launcher/seccomp_embedded.cc",
            "native/launcher/command_env.cc",
            "native/launcher/exec_program.cc",
            "native/launcher/fail.cc",
            "native/launcher/fds.cc",
            "native/launcher/fresh_git.cc",
            "native/launcher/inner.cc",
            "native/launcher/keyring.cc",
            "native/launcher/limits.cc",
            "native/launcher/main.cc",
            "native/launcher/options.cc",
            "native/launcher/payload.cc",
            "native/launcher/pin.cc",
            "native/launcher/proxy_bridge.cc",
            "native/launcher/registry.cc",
            "native/launcher/supervise.cc",
            "native/launcher/watchdog.cc"
          ],
          "include_dirs": ["<(PRODUCT_DIR)"],
          # static-pie keeps ASLR for the one program that runs both outside and inside the sandbox.
          "cflags": ["-Wall", "-Wextra", "-fPIE", "-fstack-protector-strong", "-D_FORTIFY_SOURCE=2"],
          "cflags_c": ["-std=c11"],
          "cflags_cc": ["-std=c++17", "-fno-exceptions", "-fno-rtti"],
          "libraries": ["-l:libseccomp.a"],
          "ldflags": ["-static-pie", "-Wl,-z,relro,-z,now"]
        },
        {
          # The session supervisor (native/session): started inside a sandbox by the ordinary launch
          # path, it starts each session command there. Static like the launcher, for the same reason.
          "target_name": "codex-sandbox-session",
          "type": "executable",
          "sources": [
            "native/session/frames.cc",
            "native/session/init_main.c",
            "native/session/isolate.cc",
            "native/session/spawn_command.cc",
            "native/session/supervisor_main.cc"
          ],
          "cflags": ["-Wall", "-Wextra", "-fPIE", "-fstack-protector-strong", "-D_FORTIFY_SOURCE=2"],
          "cflags_c": ["-std=gnu11"],
          "cflags_cc": ["-std=c++17", "-fno-exceptions", "-fno-rtti"],
          "ldflags": ["-static-pie", "-Wl,-z,relro,-z,now"]
        }
      ]
    }],
    ["OS=='win'", {
      "targets": [
        {
          # The program that starts the command: restricted token, kill-on-close job, the caller's
          # stdio, wait, exit code (native/win/launcher_main.cc). sandbox.spawn runs it through execa.
          "target_name": "codex-sandbox-launcher",
          "type": "executable",
          # node-gyp's addon.gypi gives every target the delay-load hook (win_delay_load_hook.cc,
          # /DELAYLOAD:node.exe), which only an addon loaded into node.exe needs; this program
          # imports nothing from node.exe. (The node.lib it also adds stays unused: no import.)
          "win_delay_load_hook": "false",
          "sources": [
            "native/win/util.cc",
            "native/win/token.cc",
            "native/win/job.cc",
            "native/win/spawn.cc",
            "native/win/launcher_main.cc"
          ],
          "defines": ["_WIN32_WINNT=0x0A00", "UNICODE", "_UNICODE"],
          "msvs_settings": {
            "VCCLCompilerTool": {"ExceptionHandling": 1},
            # Console subsystem (common.gypi sets it for executables too); with no /ENTRY the linker
            # picks wmainCRTStartup because wmain is defined.
            "VCLinkerTool": {"SubSystem": 1}
          },
          "libraries": ["advapi32.lib"]
        }
      ]
    }]
  ]
}

// `reel info`: reel's own build facts and the compute backend the neural engine loads.
// reel never links LibTorch (docs/neural.md), so the backend is whatever the reel-neural
// child reports from inside its own process (`reel-neural info --json`); classifying it
// and the warning happen here, with the same code reel-neural uses for its own line.
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <optional>

#include "args.hpp"
#include "commands.hpp"
#include "reel/core/error.hpp"
#include "reel/neural/compute_backend.hpp"
#include "reel/wan/wan.hpp"

namespace reel::cli {
namespace {
namespace fs = std::filesystem;

struct NeuralReport {
  fs::path bin;                                   // empty when not found
  std::optional<neural::ComputeBackend> backend;  // set when the child answered
  std::string error;                              // why not, when it did not
};

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

NeuralReport ask_reel_neural() {
  NeuralReport r;
  try {
    r.bin = wan::find_reel_neural(wan::WanOptions::from_env());
  } catch (const Error& e) {
    r.error = e.message();
    return r;
  }
  // Its stderr is dropped: reel's own stderr and --json output stay one line per fact.
  const std::string command = shell_quote(r.bin.string()) + " info --json 2>/dev/null";
  std::FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    r.error = "cannot run " + r.bin.string();
    return r;
  }
  std::string out;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;) out.append(buf, n);
  const int status = ::pclose(pipe);
  if (status != 0) {
    r.error = r.bin.string() + " info --json failed (exit status " +
              std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status)) +
              "; run it to see why)";
    return r;
  }
  try {
    r.backend = neural::ComputeBackend::from_json(Json::parse(out));
  } catch (const Json::exception& e) {
    r.error = r.bin.string() + " info --json printed no JSON: " + e.what();
  } catch (const Error& e) {
    r.error = r.bin.string() + " info --json: " + e.message();
  }
  return r;
}

// GCC's __VERSION__ is the bare number; clang's names itself.
#if defined(__clang__)
constexpr const char* kCompiler = __VERSION__;
#else
constexpr const char* kCompiler = "GCC " __VERSION__;
#endif

void warn(const std::string& text) {
  std::fprintf(stderr, "reel: warning: %s\n", text.c_str());
}

}  // namespace

BackendSummary neural_backend_summary() {
  const NeuralReport r = ask_reel_neural();
  if (!r.backend) return {"backend: unknown (" + r.error + ")", std::nullopt};
  return {neural::summary_line(*r.backend), neural::blas_warning(*r.backend)};
}

int cmd_info(const Argv& argv) {
  Args a(argv, {"--json"}, {});
  a.max_positional(0, "reel info [--json]");
  const NeuralReport r = ask_reel_neural();
  const std::optional<std::string> warning =
      r.backend ? neural::blas_warning(*r.backend) : std::nullopt;
  const Json reel_facts = {{"version", REEL_VERSION},
                           {"build_type", REEL_BUILD_TYPE},
                           {"compiler", kCompiler},
                           {"links_libtorch", false}};
  if (a.flag("--json")) {
    Json j = {{"reel", reel_facts},
              {"reel_neural", r.bin.empty() ? Json() : Json(r.bin.string())},
              {"neural", r.backend ? r.backend->to_json() : Json()},
              {"warnings", warning ? Json::array({*warning}) : Json::array()}};
    if (!r.backend) j["neural_error"] = r.error;
    print_json(j.dump(2));
  } else {
    std::printf("reel        %s (%s build, %s)\n", REEL_VERSION, REEL_BUILD_TYPE, kCompiler);
    if (r.backend) {
      std::printf("reel-neural %s\n", r.bin.string().c_str());
      std::fputs(neural::describe(*r.backend).c_str(), stdout);
    } else {
      std::printf("reel-neural not available: %s\n", r.error.c_str());
      std::printf("            neural models (Wan) cannot run; everything else can\n");
    }
  }
  if (warning) warn(*warning);
  return 0;
}

}  // namespace reel::cli

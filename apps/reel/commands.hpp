#pragma once
// One function per `reel` subcommand. Each returns the process exit code and
// throws reel::Error for failures (main turns them into one line on stderr).
#include <optional>
#include <string>
#include <vector>

namespace reel::cli {

using Argv = std::vector<std::string>;

int cmd_run(const Argv& args);
int cmd_batch(const Argv& args);  // cmd_batch.cpp: one output per row of a rows file (issue 15)
int cmd_models(const Argv& args);
int cmd_cache(const Argv& args);
int cmd_probe(const Argv& args);
int cmd_cost(const Argv& args);
int cmd_verify(const Argv& args);
int cmd_keys(const Argv& args);
int cmd_contact_sheet(const Argv& args);
int cmd_neural(const Argv& args);    // cmd_neural.cpp: dit-forward and friends (issue 4)
int cmd_serve(const Argv& args);     // cmd_serve.cpp: the HTTP API (issue 7)
int cmd_worker(const Argv& args);    // cmd_serve.cpp: a queue worker (issue 7)
int cmd_api_keys(const Argv& args);  // cmd_api_keys.cpp: keys create|list|set|revoke|audit
// $REEL_HOME/server.sqlite (created folder): the store of `reel serve` and `reel keys`.
std::string default_store();
int cmd_calibrate(const Argv& args);  // cmd_calibrate.cpp: measure a Wan model's cost profile
int cmd_info(const Argv& args);       // cmd_backend.cpp: build facts and the compute backend
int cmd_providers(const Argv& args);  // cmd_providers.cpp: hosted-model adapters and keys

// The compute backend reel-neural loads as one line, "backend: unknown (why)" when
// reel-neural cannot say, and the reference-BLAS warning when it applies.
struct BackendSummary {
  std::string line;
  std::optional<std::string> warning;
};
BackendSummary neural_backend_summary();

// Prints JSON to stdout (one document, newline-terminated).
void print_json(const std::string& json);

}  // namespace reel::cli

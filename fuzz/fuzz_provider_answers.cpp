// libFuzzer target for what hosted providers answer (their bodies are untrusted bytes):
// every adapter's submission, status, result, error and token readers, as the engine calls them
// (through read_answer). A reel::Error is the expected refusal; any other exception, a
// crash, a leak or UB is a finding.
// Run: ./build-fuzz/bin/fuzz_provider_answers -max_total_time=60 fuzz/corpus/provider_answers
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>

#include "providers/provider.hpp"
#include "reel/core/error.hpp"

using namespace reel;
using namespace reel::providers;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const auto& all = all_providers();
  const Provider& p = *all[data[0] % all.size()];
  const int status = 200 + data[1] % 4 * 100;  // 200, 300, 400, 500
  HttpResponse r;
  r.status = status;
  r.body.assign(reinterpret_cast<const char*>(data + 2), size - 2);
  r.headers = {{"Content-Type", "application/json"}};
  CallInput in;
  in.model = "owner/model";
  // A task as the adapter's own submission reader makes it, else the body itself (a
  // resumed record can hold anything an older reel wrote).
  Json task;
  try {
    task = read_answer(p, "a submission", [&] { return p.task_of(in, r); });
  } catch (const Error&) {
    task = Json::parse(r.body, nullptr, false);
    if (task.is_discarded()) task = Json::object();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s task_of: not a reel::Error: %s\n", p.name().c_str(), e.what());
    std::abort();
  }
  auto guarded = [&](const char* what, auto&& fn) {
    try {
      fn();
    } catch (const Error&) {
    } catch (const std::exception& e) {
      std::fprintf(stderr, "%s %s: not a reel::Error: %s\n", p.name().c_str(), what, e.what());
      std::abort();
    }
  };
  // The engine reads every answer through read_answer: only reel::Error may leave it.
  guarded("status_of", [&] { read_answer(p, "x", [&] { return p.status_of(task, r); }); });
  guarded("result_of", [&] { read_answer(p, "x", [&] { return p.result_of(task, r); }); });
  guarded("error_message", [&] { read_answer(p, "x", [&] { return p.error_message(r); }); });
  guarded("task_forgotten", [&] { read_answer(p, "x", [&] { return p.task_forgotten(r); }); });
  // Firefly's answer from Adobe IMS; the adapters that ask for no token refuse with Internal.
  guarded("token_of", [&] { read_answer(p, "x", [&] { return p.token_of(r); }); });
  return 0;
}

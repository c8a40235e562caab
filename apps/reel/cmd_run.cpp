#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "args.hpp"
#include "commands.hpp"
#include "progress.hpp"
#include "reel/core/error.hpp"
#include "reel/pipeline/pipeline_file.hpp"
#include "reel/sdk/api.hpp"

namespace reel::cli {
namespace fs = std::filesystem;
namespace {

// Ctrl-C cancels the run cooperatively, so temporaries are cleaned up and no
// half-written output remains.
CancelToken* g_cancel = nullptr;
extern "C" void on_sigint(int) {
  if (g_cancel) g_cancel->cancel();
}

fs::path default_output(const pipeline::Graph& g, model::ValueType type) {
  return fs::path("out") / (g.name + (type == model::ValueType::video ? ".mp4" : ".png"));
}

}  // namespace

void print_json(const std::string& json) {
  std::fwrite(json.data(), 1, json.size(), stdout);
  std::fputc('\n', stdout);
}

int cmd_run(const Argv& argv) {
  const std::string usage = "reel run FILE [options] (reel --help)";
  Args a(argv, {"--dry-run", "--json", "--no-cache", "--no-sign", "--quiet"},
         {"--out", "--seed", "--prices", "--policy", "--contact-sheet", "--crf", "--preset",
          "--training-mining", "--server", "--api-key"},
         {"--set", "--weights"});
  a.max_positional(1, usage);
  const fs::path file = a.need(0, "the pipeline file; usage: " + usage);
  pipeline::Graph graph = pipeline::load_pipeline(file);
  for (const auto& s : a.values("--set")) pipeline::apply_override(graph, s);
  if (auto seed = a.value("--seed"))
    graph.seed = static_cast<std::uint64_t>(parse_integer(*seed, "--seed", 0, (1ll << 53)));

  sdk::SessionOptions so;
  if (auto p = a.value("--prices")) so.prices = pipeline::PriceSheet::load(*p);
  if (auto p = a.value("--policy")) so.policy = *p;
  so.use_cache = !a.flag("--no-cache");
  for (const auto& w : a.values("--weights")) so.models.add_weights_arg(w);
  // --server runs the whole pipeline on a reel server (docs/remote.md); the key comes
  // from --api-key or REEL_API_KEY, so it need not appear in shell history.
  if (auto server = a.value("--server")) {
    so.server = *server;
    const char* env_key = std::getenv("REEL_API_KEY");
    so.api_key = a.value("--api-key") ? *a.value("--api-key") : (env_key ? env_key : "");
  }
  so.sign = !a.flag("--no-sign");
  if (auto tm = a.value("--training-mining")) so.training_mining = *tm;
  if (auto crf = a.value("--crf"))
    so.encode.crf = static_cast<int>(parse_integer(*crf, "--crf", 0, 51));
  if (auto preset = a.value("--preset")) so.encode.preset = *preset;
  const bool json = a.flag("--json");
  ProgressView progress(a.flag("--quiet") || json);
  so.on_event = [&](const pipeline::Event& e) { progress.on_event(e); };
  sdk::Session session(so);

  if (a.flag("--dry-run")) {
    pipeline::RunPlan plan = session.plan(graph);
    if (json)
      print_json(plan.to_json().dump(2));
    else
      std::fputs(plan.to_text().c_str(), stdout);
    return 0;
  }

  auto t0 = std::chrono::steady_clock::now();
  pipeline::RunOptions ro = session.run_options();
  g_cancel = &ro.cancel;
  std::signal(SIGINT, on_sigint);
  pipeline::Executor executor(session.registry(), session.store());
  pipeline::RunResult result =
      session.remote() ? session.run(graph, ro.cancel) : executor.run(graph, ro);
  g_cancel = nullptr;
  progress.finish();

  fs::path out =
      a.value("--out") ? fs::path(*a.value("--out")) : default_output(graph, result.output.type);
  sdk::RunOutput output = sdk::output_of(result, graph, session);
  fs::path cost_file;
  if (output.video) {
    cost_file = output.video->save(out, session);
    if (auto sheet = a.value("--contact-sheet")) output.video->save_contact_sheet(*sheet);
  } else {
    if (out.extension() != ".png")
      throw Error(ErrorKind::InvalidInput,
                  "the output is a still; --out must end in .png, got '" + out.string() + "'");
    output.still->save(out, session);
    cost_file = fs::path(out).replace_extension(".cost.json");
    result.cost.write(cost_file);
  }
  // The wall time shown is the cost report's own (the run), so the summary and `reel cost`
  // of the file agree; writing and signing the output is shown beside it.
  const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  pipeline::CostReport cost = output.video ? output.video->cost() : result.cost;
  const double wall = cost.wall_seconds.value;
  const double saving = std::max(0.0, total - wall);

  if (!so.sign)
    result.notes.push_back(
        "--no-sign: the output carries no Content Credentials (for speed tests only)");
  for (const auto& n : result.notes) std::fprintf(stderr, "note: %s\n", n.c_str());
  if (json) {
    Json j{{"output", out.string()},      {"cost_file", cost_file.string()},
           {"wall_seconds", wall},        {"save_seconds", saving},
           {"executed", result.executed}, {"cached", result.cached},
           {"notes", result.notes},       {"signed", so.sign},
           {"cost", cost.to_json()}};
    print_json(j.dump(2));
  } else {
    std::printf("wrote %s (%s)\n", out.string().c_str(), cost_file.string().c_str());
    if (!a.flag("--quiet")) {  // quiet: the one line above; the cost is in the file
      std::printf("wall time %s (+ %s writing and signing the output); %d steps run, %d cached\n",
                  format_seconds(Seconds(wall)).c_str(), format_seconds(Seconds(saving)).c_str(),
                  result.executed, result.cached);
      std::fputs(cost.to_text().c_str(), stdout);
    }
  }
  return 0;
}

}  // namespace reel::cli

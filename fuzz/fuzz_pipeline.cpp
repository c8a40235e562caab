// libFuzzer target for pipeline files (YAML and JSON) and --set overrides. Any
// exception other than reel::Error, an Internal error, a crash, a leak or UB is a
// finding. Run: ./build-fuzz/bin/fuzz_pipeline -max_total_time=60 fuzz/corpus/pipeline
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "reel/core/error.hpp"
#include "reel/core/json.hpp"
#include "reel/model/registry.hpp"
#include "reel/pipeline/graph.hpp"
#include "reel/pipeline/pipeline_file.hpp"

namespace {

using namespace reel;

// Validation reads only cards, so card-only models let inputs reach every check.
class CardModel : public model::Model {
 public:
  CardModel(std::string id, model::Task task, std::string licence) {
    card_.id = std::move(id);
    card_.version = "1";
    card_.tasks = {task};
    card_.licence = std::move(licence);
  }
  const model::ModelCard& card() const override { return card_; }

 private:
  model::ModelCard card_;
};

const model::Registry& registry() {
  static const model::Registry r = [] {
    model::Registry reg;
    using model::Task;
    for (Task t : {Task::text_to_image, Task::image_to_video, Task::text_to_video, Task::composite,
                   Task::matting, Task::upscale}) {
      std::string name(model::to_string(t));
      reg.add(std::make_shared<CardModel>("m-" + name, t, "MIT"));
      reg.add(std::make_shared<CardModel>("closed-" + name, t, "proprietary"));
    }
    return reg;
  }();
  return r;
}

[[noreturn]] void finding(const char* what) {
  std::fprintf(stderr, "finding: %s\n", what);
  std::abort();
}

void check(const Error& e) {
  if (e.kind() == ErrorKind::Internal) finding(e.what());
  (void)e.to_json();  // messages quote the input: they must stay valid JSON text
}

void exercise(const pipeline::Graph& graph) {
  (void)canonical_json(graph.to_json());
  pipeline::ValidationOptions options;
  options.registry = &registry();
  options.policy = [](const model::ModelCard& c) {
    return c.licence == "proprietary" ? std::string("not commercial-safe") : std::string();
  };
  try {
    pipeline::ValidatedGraph v = pipeline::validate(graph, options);
    if (v.order.size() != graph.steps.size()) finding("order lost steps");
  } catch (const Error& e) {
    check(e);
  }
}

void parse(std::string_view text, pipeline::FileFormat format) {
  try {
    exercise(pipeline::parse_pipeline(text, format, "fuzz"));
  } catch (const Error& e) {
    check(e);
  }
}

// The first line as an override of a small valid pipeline.
void override_line(std::string_view text) {
  static const char* kBase =
      "steps:\n"
      "  - {id: a, task: text_to_image, params: {prompt: p}}\n"
      "  - {id: b, task: image_to_video, inputs: {image: a}, params: {extra: {k: 1}}}\n";
  pipeline::Graph g = pipeline::parse_pipeline(kBase);
  try {
    pipeline::apply_override(g, text.substr(0, text.find('\n')));
    exercise(g);
  } catch (const Error& e) {
    check(e);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  parse(text, pipeline::FileFormat::yaml);
  parse(text, pipeline::FileFormat::json);
  override_line(text);
  return 0;
}

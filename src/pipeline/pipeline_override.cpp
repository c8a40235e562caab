// apply_override(): `reel run --set step.param=value`.
#include <yaml-cpp/yaml.h>

#include <cmath>

#include "pipeline/graph_params.hpp"
#include "pipeline/pipeline_yaml.hpp"
#include "reel/core/error.hpp"
#include "reel/pipeline/pipeline_file.hpp"

namespace reel::pipeline {
namespace {

constexpr std::string_view kForms =
    "write step.param=value, step.seed=N, step.model=ID, step.inputs.SLOT=REF, seed=N, "
    "name=TEXT or output=STEP";

std::string_view trim(std::string_view s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

class Override {
 public:
  explicit Override(std::string_view assignment) : text_(assignment) {}

  [[noreturn]] void fail(const std::string& msg) const {
    throw Error(ErrorKind::InvalidInput, "override '" + shown() + "': " + msg);
  }

  // Quoted text is YAML-unquoted (escapes work); anything else is typed as a plain
  // YAML scalar, so 3 is a number, true a boolean and red robot a string.
  Json value(std::string_view raw) const {
    if (raw.empty()) return std::string();
    Json v;
    if (raw.front() == '"' || raw.front() == '\'') {
      try {
        YAML::Node n = YAML::Load(std::string(raw));
        if (!n.IsScalar()) fail("the quoted value is not a single piece of text");
        v = n.Scalar();
      } catch (const YAML::Exception& e) {
        fail("bad quoted value: " + e.msg);
      }
    } else {
      v = detail::plain_scalar(raw);
    }
    if (v.is_string() && !detail::valid_utf8(v.get_ref<const std::string&>()))
      fail("the value is not valid UTF-8");
    if (v.is_number_float() && !std::isfinite(v.get<double>()))
      fail("the value is not a finite number");
    return v;
  }

  std::uint64_t seed(const Json& v) const {
    if (v.is_number_unsigned()) return v.get<std::uint64_t>();
    if (v.is_number_integer() && v.get<long long>() >= 0) return std::uint64_t(v.get<long long>());
    fail("a seed is a non-negative integer (0..18446744073709551615)");
  }

  std::string text(const Json& v, const std::string& what) const {
    if (!v.is_string() || v.get_ref<const std::string&>().empty())
      fail(what + " must be non-empty text");
    return v.get<std::string>();
  }

 private:
  std::string shown() const {
    std::string s(text_.substr(0, 200));
    return detail::valid_utf8(s) ? s : "(not valid UTF-8)";
  }
  std::string_view text_;
};

// params.a.b = v creates the mappings on the way; null removes the leaf.
void set_param(const Override& o, Json& params, std::string_view path, const Json& value) {
  Json* at = &params;
  for (;;) {
    auto dot = path.find('.');
    std::string key(path.substr(0, dot));
    if (key.empty()) o.fail("a param name is empty; " + std::string(kForms));
    if (!at->is_object()) o.fail("'" + key + "' is inside a value that is not a mapping");
    if (dot == std::string_view::npos) {
      if (value.is_null())
        at->erase(key);
      else
        (*at)[key] = value;
      return;
    }
    at = &(*at)[key];
    if (at->is_null()) *at = Json::object();
    path.remove_prefix(dot + 1);
  }
}

void apply(Graph& graph, std::string_view assignment) {
  Override o(assignment);
  // Names become JSON keys, and JSON text must be UTF-8.
  if (!detail::valid_utf8(assignment)) o.fail("the text is not valid UTF-8");
  auto eq = assignment.find('=');
  if (eq == std::string_view::npos) o.fail("there is no '='; " + std::string(kForms));
  std::string key(trim(assignment.substr(0, eq)));
  Json value = o.value(trim(assignment.substr(eq + 1)));

  auto dot = key.find('.');
  if (dot == std::string::npos) {
    if (key == "seed")
      graph.seed = o.seed(value);
    else if (key == "name")
      graph.name = o.text(value, "name");
    else if (key == "output")
      graph.output = o.text(value, "output");
    else
      o.fail("'" + key + "' is not a pipeline setting and has no '.'; " + std::string(kForms));
    return;
  }
  std::string id = key.substr(0, dot);
  std::string rest = key.substr(dot + 1);
  Step* step = graph.find(id);
  if (!step) {
    std::vector<std::string> ids;
    for (const Step& s : graph.steps) ids.push_back(s.id);
    o.fail("there is no step '" + id + "'; steps: " + (ids.empty() ? "none" : detail::join(ids)));
  }
  if (rest.empty()) o.fail("nothing after '" + id + ".'; " + std::string(kForms));
  if (rest == "seed") {
    step->seed = o.seed(value);
  } else if (rest == "model") {
    step->model = o.text(value, "model");
  } else if (rest == "id" || rest == "task" || rest == "inputs" || rest == "params") {
    o.fail("a step's " + rest + " cannot be overridden as a whole; " + std::string(kForms));
  } else if (rest.rfind("inputs.", 0) == 0) {
    std::string slot = rest.substr(7);
    if (slot.empty() || slot.find('.') != std::string::npos) o.fail("name one input slot");
    if (value.is_null())
      step->inputs.erase(slot);
    else
      step->inputs[slot] = o.text(value, "an input reference");
  } else {
    std::string_view path = rest;
    if (path.rfind("params.", 0) == 0) path.remove_prefix(7);
    Json params = step->params;  // a refused override leaves the step as it was
    set_param(o, params, path, value);
    step->params = std::move(params);
  }
}

}  // namespace

void apply_override(Graph& graph, std::string_view assignment) {
  try {
    apply(graph, assignment);
  } catch (const Error& e) {
    // yaml-cpp quotes odd bytes of a bad quoted value; errors serialise to JSON.
    if (!detail::valid_utf8(e.message())) throw Error(e.kind(), detail::to_valid_utf8(e.message()));
    throw;
  }
}

}  // namespace reel::pipeline

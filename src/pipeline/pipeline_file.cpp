#include "reel/pipeline/pipeline_file.hpp"

#include <algorithm>
#include <fstream>
#include <functional>

#include "pipeline/graph_params.hpp"
#include "pipeline/pipeline_yaml.hpp"
#include "reel/core/error.hpp"
#include "reel/core/json_strict.hpp"

namespace reel::pipeline {
namespace {

namespace fs = std::filesystem;
using detail::join;
using detail::json_type_name;

constexpr int kSchemaVersion = 1;
constexpr std::size_t kMaxNameChars = 256;
const std::vector<std::string> kTopKeys = {"reel", "name", "seed", "output", "steps"};
const std::vector<std::string> kStepKeys = {"id", "task", "model", "inputs", "params", "seed"};

// "where" for a value, given its JSON pointer: "pipeline.yaml:3:5" when the format
// knows positions, else the file's name.
using Locate = std::function<std::string(const std::string& pointer)>;

// Checks the file's shape (not its meaning: validate() does that) and builds a Graph.
class Shape {
 public:
  explicit Shape(Locate locate) : locate_(std::move(locate)) {}

  Graph graph(const Json& root) {
    if (!root.is_object())
      fail("", "",
           root.is_null() ? "the pipeline is empty; expected a mapping with keys " + join(kTopKeys)
                          : "a pipeline is a mapping with keys " + join(kTopKeys) + "; got " +
                                json_type_name(root));
    check_keys(root, "", "", kTopKeys, "top-level key");
    Graph g;
    if (const Json* v = get(root, "reel")) {
      if (!v->is_number_integer() || *v != kSchemaVersion)
        fail("/reel", "reel",
             "schema version " + v->dump() + " is not supported; this reel reads " +
                 std::to_string(kSchemaVersion));
    }
    if (const Json* v = get(root, "name")) {
      g.name = text(*v, "/name", "name");
      if (g.name.empty() || g.name.size() > kMaxNameChars)
        fail("/name", "name", "must be 1.." + std::to_string(kMaxNameChars) + " characters");
    }
    if (const Json* v = get(root, "seed")) g.seed = seed(*v, "/seed", "seed");
    if (const Json* v = get(root, "output")) g.output = text(*v, "/output", "output");
    const Json* steps = get(root, "steps");
    if (!steps) fail("", "", "'steps' is missing; a pipeline lists its steps under 'steps'");
    if (!steps->is_array())
      fail("/steps", "steps",
           "must be a list of steps (each a mapping with " + join(kStepKeys) + "); got " +
               json_type_name(*steps));
    for (std::size_t i = 0; i < steps->size(); ++i)
      g.steps.push_back(
          step((*steps)[i], "/steps/" + std::to_string(i), "steps[" + std::to_string(i) + "]"));
    return g;
  }

 private:
  [[noreturn]] void fail(const std::string& pointer, const std::string& path,
                         const std::string& msg) const {
    throw Error(ErrorKind::InvalidInput,
                locate_(pointer) + ": " + (path.empty() ? "" : path + ": ") + msg);
  }

  // Absent and null mean "not given", so a YAML key with everything below it
  // commented out is fine.
  static const Json* get(const Json& obj, const std::string& key) {
    auto it = obj.find(key);
    return it == obj.end() || it->is_null() ? nullptr : &*it;
  }

  void check_keys(const Json& obj, const std::string& pointer, const std::string& path,
                  const std::vector<std::string>& allowed, const std::string& kind) const {
    for (const auto& [key, value] : obj.items())
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
        fail(pointer + "/" + key, path,
             "unknown " + kind + " '" + key + "'; allowed: " + join(allowed));
  }

  std::string text(const Json& v, const std::string& pointer, const std::string& path) const {
    if (!v.is_string())
      fail(pointer, path, "must be text; got " + json_type_name(v) + " (quote it)");
    return v.get<std::string>();
  }

  std::uint64_t seed(const Json& v, const std::string& pointer, const std::string& path) const {
    if (v.is_number_unsigned()) return v.get<std::uint64_t>();
    if (v.is_number_integer() && v.get<long long>() >= 0) return std::uint64_t(v.get<long long>());
    fail(pointer, path,
         "must be a non-negative integer (0..18446744073709551615); got " + json_type_name(v) +
             " " + v.dump(-1, ' ', false, Json::error_handler_t::replace));
  }

  Step step(const Json& v, const std::string& pointer, const std::string& path) const {
    if (!v.is_object())
      fail(pointer, path,
           "a step is a mapping with keys " + join(kStepKeys) + "; got " + json_type_name(v));
    check_keys(v, pointer, path, kStepKeys, "step key");
    Step s;
    const Json* id = get(v, "id");
    if (!id) fail(pointer, path, "'id' is missing; every step needs an id");
    s.id = text(*id, pointer + "/id", path + ".id");
    std::string where = path + " ('" + s.id + "')";
    const Json* task = get(v, "task");
    if (!task)
      fail(pointer, where, "'task' is missing; every step names its task (e.g. text_to_image)");
    std::string task_name = text(*task, pointer + "/task", where + ".task");
    try {
      s.task = model::task_from_string(task_name);
    } catch (const Error& e) {
      fail(pointer + "/task", where + ".task", e.message());
    }
    if (const Json* m = get(v, "model")) s.model = text(*m, pointer + "/model", where + ".model");
    if (const Json* in = get(v, "inputs")) {
      if (!in->is_object())
        fail(pointer + "/inputs", where + ".inputs",
             "must be a mapping of slot: reference (a step id, artifact:<hash> or file:<path>); "
             "got " +
                 json_type_name(*in));
      for (const auto& [slot, ref] : in->items())
        s.inputs[slot] = text(ref, pointer + "/inputs/" + slot, where + ".inputs." + slot);
    }
    if (const Json* p = get(v, "params")) {
      if (!p->is_object())
        fail(pointer + "/params", where + ".params",
             "must be a mapping of name: value; got " + json_type_name(*p));
      s.params = *p;
    }
    if (const Json* sd = get(v, "seed")) s.seed = seed(*sd, pointer + "/seed", where + ".seed");
    return s;
  }

  Locate locate_;
};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

bool looks_like_json(std::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  auto at = text.find_first_not_of(" \t\r\n");
  return at != std::string_view::npos && (text[at] == '{' || text[at] == '[');
}

// Strict (reel/core/json.hpp): a NUL or anything after the document, and a key given twice
// (YAML refuses that too), are mistakes to report, not to guess about. nlohmann's parser
// is iterative, but everything after it (dump, comparisons, destruction of deep params)
// recurses: deep nesting is refused while parsing.
Json parse_json_text(std::string_view text, const std::string& what) {
  return parse_json_strict(text, what, detail::kMaxDepth);
}

Graph parse_any(std::string_view text, FileFormat format, const std::string& what) {
  if (format == FileFormat::detect)
    format = looks_like_json(text) ? FileFormat::json : FileFormat::yaml;
  if (format == FileFormat::json) {
    Json root = parse_json_text(text, what);
    return Shape([&](const std::string&) { return what; }).graph(root);
  }
  detail::YamlDocument doc = detail::parse_yaml(text, what);
  return Shape([&](std::string pointer) {
           // A missing key is reported at the mapping that lacks it.
           for (;;) {
             auto it = doc.positions.find(pointer);
             if (it != doc.positions.end())
               return what + ":" + std::to_string(it->second.line) + ":" +
                      std::to_string(it->second.column);
             if (pointer.empty()) return what;
             pointer.erase(pointer.rfind('/'));
           }
         })
      .graph(doc.value);
}

}  // namespace

Graph parse_pipeline(std::string_view text, FileFormat format, const std::string& what) {
  if (text.size() > detail::kMaxFileBytes)
    throw Error(ErrorKind::InvalidInput, what + ": the file is " + std::to_string(text.size()) +
                                             " bytes; pipeline files may be at most " +
                                             std::to_string(detail::kMaxFileBytes) +
                                             " bytes (1 MiB)");
  try {
    return parse_any(text, format, what);
  } catch (const Error& e) {
    // Parsers quote what they read ("last read: ..."); errors serialise to JSON.
    if (!detail::valid_utf8(e.message())) throw Error(e.kind(), detail::to_valid_utf8(e.message()));
    throw;
  } catch (const std::bad_alloc&) {
    throw Error(ErrorKind::OutOfMemory, what + ": out of memory while reading the pipeline");
  } catch (const std::exception& e) {
    throw Error(ErrorKind::Internal,
                what + ": unexpected error while reading the pipeline: " + e.what());
  }
}

Graph load_pipeline(const fs::path& path) {
  const std::string what = path.string();
  std::error_code ec;
  fs::file_status status = fs::status(path, ec);
  if (!fs::exists(status)) throw Error(ErrorKind::NotFound, what + ": no such pipeline file");
  if (fs::is_directory(status))
    throw Error(ErrorKind::InvalidInput,
                what + ": is a folder; expected a pipeline file (.yaml, .yml or .json)");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::Io, what + ": cannot open the pipeline file");
  // One byte past the limit is enough to know it is too large.
  std::string text(detail::kMaxFileBytes + 1, '\0');
  in.read(text.data(), std::streamsize(text.size()));
  if (in.bad()) throw Error(ErrorKind::Io, what + ": error while reading the pipeline file");
  text.resize(std::size_t(in.gcount()));

  std::string ext = lower(path.extension().string());
  FileFormat format = ext == ".yaml" || ext == ".yml" ? FileFormat::yaml
                      : ext == ".json"                ? FileFormat::json
                                                      : FileFormat::detect;
  Graph g = parse_pipeline(text, format, what);
  fs::path abs = fs::absolute(path, ec);
  g.base_dir = (ec ? path : abs).lexically_normal().parent_path().string();
  if (g.base_dir.empty()) g.base_dir = ".";
  return g;
}

}  // namespace reel::pipeline

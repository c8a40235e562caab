// Black Forest Labs' FLUX API (docs.bfl.ml, "FLUX1.1 [pro]" page and its polling example):
//   POST {base}/v1/{model} {prompt, width, height, seed, output_format} → {id, polling_url}
//   GET  {polling_url}  status Pending | Ready (result.sample: a signed URL, valid 10 min) |
//                       Request Moderated | Content Moderated | Error | Task not found
// Auth "x-key: <BFL_API_KEY>". There is no cancel endpoint: a task once submitted runs to
// its end and is billed, so a cancel or timeout only stops reel waiting.
//
// polling_url is absolute and names a regional host (api.eu1.bfl.ai, ...), not the base.
// The task record keeps it as given; when the base URL is overridden (a proxy, the test
// double) its scheme and host are replaced by the base's, so polls follow the override.
// The key goes only to hosts under bfl.ai (or the overridden base).
#include "providers/provider.hpp"
#include "providers/provider_list.hpp"
#include "reel/core/error.hpp"

namespace reel::providers {
namespace {

constexpr const char* kBase = "https://api.bfl.ai";
constexpr int kSizeStep = 32, kSizeMin = 256, kSizeMax = 1440;

class Bfl final : public Provider {
 public:
  std::string name() const override { return "bfl"; }
  std::vector<std::string> key_vars() const override { return {"BFL_API_KEY"}; }
  std::string default_base_url() const override { return kBase; }
  // BFL's own example polls every 0.5 s; an image is ready in seconds.
  std::chrono::milliseconds poll_interval() const override {
    return std::chrono::milliseconds(500);
  }

  HttpRequest submit(const std::string& base, const CallInput& in,
                     const Credentials& keys) const override {
    const std::string id = in.row ? in.row->id() : "bfl:" + in.model;
    if (in.model.empty() || in.model.front() == '.' ||
        in.model.find_first_of("/?#") != std::string::npos)
      throw Error(ErrorKind::InvalidInput, "BFL model name '" + in.model + "' is not valid");
    if (in.task != model::Task::text_to_image)
      throw Error(ErrorKind::InvalidInput, id + " makes still images only (text_to_image)");
    if (!in.negative_prompt.empty())
      throw Error(ErrorKind::InvalidInput,
                  id + " takes no negative prompt: say what to avoid in the prompt");
    Json body = {{"prompt", in.prompt}, {"seed", in.seed}, {"output_format", "png"}};
    if (in.width > 0 || in.height > 0) {
      check_side(id, "width", in.width);
      check_side(id, "height", in.height);
      body["width"] = in.width;
      body["height"] = in.height;
    }
    merge_provider_input(body, in);
    return {"POST", base + "/v1/" + in.model, auth(keys), body.dump()};
  }

  Json task_of(const CallInput&, const HttpResponse& r) const override {
    Json task = task_id_of(r, "BFL");
    if (const std::string url = json_string(Json::parse(r.body), "/polling_url"); !url.empty())
      task["polling_url"] = url;
    return task;
  }

  HttpRequest poll(const std::string& base, const Json& task,
                   const Credentials& keys) const override {
    const std::string id = task.at("id").get<std::string>();
    const std::string given = task.value("polling_url", std::string());
    // Without a polling_url (an old record) the global host's result endpoint answers.
    if (given.empty()) return {"GET", base + "/v1/get_result?id=" + id, auth(keys), ""};
    return {"GET", provider_url(base, kBase, given, "bfl.ai", "BFL"), auth(keys), ""};
  }

  TaskStatus status_of(const Json&, const HttpResponse& r) const override {
    const Json j = Json::parse(r.body, nullptr, false);
    if (!j.is_object()) throw Error(ErrorKind::Io, "BFL's result answer is not a JSON object");
    const std::string status = j.value("status", std::string());
    TaskStatus st;
    if (status == "Pending") {
      st.state = TaskState::running;
      if (j.contains("progress") && j["progress"].is_number()) st.progress = j["progress"];
    } else if (status == "Ready") {
      st.state = TaskState::succeeded;
      if (const std::string url = json_string(j, "/result/sample"); !url.empty())
        st.outputs.push_back(url);
    } else if (status == "Request Moderated" || status == "Content Moderated" ||
               status == "Error") {
      st.state = TaskState::failed;
      st.message = status + details(j);
    } else if (status == "Task not found") {
      st.state = TaskState::failed;
      st.message = "BFL no longer has this task (results are kept about 10 minutes)";
    } else {
      throw Error(ErrorKind::Io, "BFL answered an unknown status '" + status + "'");
    }
    return st;
  }

  std::optional<HttpRequest> cancel(const std::string&, const Json&,
                                    const Credentials&) const override {
    return std::nullopt;  // BFL has no cancel endpoint
  }

 private:
  static HeaderList auth(const Credentials& keys) {
    return json_headers({{"x-key", keys.values.at(0)}});
  }

  static void check_side(const std::string& id, const char* what, int v) {
    if (v >= kSizeMin && v <= kSizeMax && v % kSizeStep == 0) return;
    throw Error(ErrorKind::InvalidInput, id + " takes " + what + " " + std::to_string(kSizeMin) +
                                             ".." + std::to_string(kSizeMax) + " in multiples of " +
                                             std::to_string(kSizeStep) + "; " + std::to_string(v) +
                                             " was asked (set both width and height)");
  }

  // The reason BFL gives with a failed status, when it gives one.
  static std::string details(const Json& j) {
    for (const char* key : {"details", "error", "message"}) {
      auto it = j.find(key);
      if (it == j.end() || it->is_null()) continue;
      if (it->is_string()) return ": " + it->get<std::string>();
      if (it->is_object())
        for (const char* inner : {"error", "message", "detail"})
          if (auto m = it->find(inner); m != it->end() && m->is_string())
            return ": " + m->get<std::string>();
      return ": " + it->dump().substr(0, 300);
    }
    return "";
  }
};

}  // namespace

std::unique_ptr<Provider> make_bfl() {
  return std::make_unique<Bfl>();
}

}  // namespace reel::providers

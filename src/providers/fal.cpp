// fal's queue API (fal-ai/fal, fal_client: queue submit / status / result / cancel):
//   POST {base}/{model}                                → {request_id, ...}
//   GET  {base}/{app}/requests/{id}/status             → IN_QUEUE | IN_PROGRESS | COMPLETED
//   GET  {base}/{app}/requests/{id}                    → the model's output JSON
//   PUT  {base}/{app}/requests/{id}/cancel
// where {app} is the model id's first two segments ("fal-ai/kling-video" for
// "fal-ai/kling-video/v2.1/standard/image-to-video"). Auth: "Authorization: Key <FAL_KEY>".
#include "providers/provider.hpp"
#include "providers/provider_list.hpp"
#include "reel/core/error.hpp"

namespace reel::providers {
namespace {

std::string app_of(const std::string& model) {
  const auto first = model.find('/');
  if (first == std::string::npos) return model;
  const auto second = model.find('/', first + 1);
  return second == std::string::npos ? model : model.substr(0, second);
}

class Fal final : public Provider {
 public:
  std::string name() const override { return "fal"; }
  std::vector<std::string> key_vars() const override { return {"FAL_KEY"}; }
  std::string default_base_url() const override { return "https://queue.fal.run"; }
  std::chrono::milliseconds poll_interval() const override { return std::chrono::seconds(1); }

  HttpRequest submit(const std::string& base, const CallInput& in,
                     const Credentials& keys) const override {
    if (in.model.empty() || in.model.find("..") != std::string::npos || in.model.front() == '/')
      throw Error(ErrorKind::InvalidInput,
                  "fal model id '" + in.model + "' is not owner/name[/path]");
    return {"POST", base + "/" + in.model, auth(keys), map_common_input(in, "image_url").dump()};
  }

  Json task_of(const CallInput& in, const HttpResponse& r) const override {
    const Json j = Json::parse(r.body, nullptr, false);
    const std::string id = j.is_object() ? j.value("request_id", std::string()) : "";
    if (id.empty()) throw Error(ErrorKind::Io, "fal accepted the request but sent no request_id");
    return {{"id", id}, {"app", app_of(in.model)}};
  }

  HttpRequest poll(const std::string& base, const Json& task,
                   const Credentials& keys) const override {
    return {"GET", requests(base, task) + "/status", auth(keys), ""};
  }

  TaskStatus status_of(const Json& task, const HttpResponse& r) const override {
    const Json j = Json::parse(r.body, nullptr, false);
    TaskStatus st;
    const std::string status = j.is_object() ? j.value("status", std::string()) : "";
    if (status == "IN_QUEUE") {
      st.state = TaskState::queued;
      if (j.contains("queue_position") && j["queue_position"].is_number_integer())
        st.message = "queue position " + std::to_string(j["queue_position"].get<long long>());
    } else if (status == "IN_PROGRESS") {
      st.state = TaskState::running;
    } else if (status == "COMPLETED") {
      // The outcome — output or error — is the result request's answer.
      st.state = TaskState::succeeded;
      st.needs_result = true;
    } else {
      throw Error(ErrorKind::Io, "fal answered an unknown status '" + status + "'");
    }
    return st;
  }

  TaskStatus result_of(const Json&, const HttpResponse& r) const override {
    const Json j = Json::parse(r.body, nullptr, false);
    TaskStatus st;
    st.state = TaskState::succeeded;
    if (!j.is_object()) throw Error(ErrorKind::Io, "fal's result is not a JSON object");
    for (const char* p : {"/video/url", "/images/0/url", "/image/url", "/audio/url"})
      if (std::string url = json_string(j, p); !url.empty()) st.outputs.push_back(url);
    return st;
  }

  std::optional<HttpRequest> cancel(const std::string& base, const Json& task,
                                    const Credentials& keys) const override {
    return HttpRequest{"PUT", requests(base, task) + "/cancel", auth(keys), ""};
  }

  HttpRequest result(const std::string& base, const Json& task,
                     const Credentials& keys) const override {
    return {"GET", requests(base, task), auth(keys), ""};
  }

 private:
  static HeaderList auth(const Credentials& keys) {
    return json_headers({{"Authorization", "Key " + keys.values.at(0)}});
  }
  static std::string requests(const std::string& base, const Json& task) {
    return base + "/" + task.at("app").get<std::string>() + "/requests/" +
           task.at("id").get<std::string>();
  }
};

}  // namespace

std::unique_ptr<Provider> make_fal() {
  return std::make_unique<Fal>();
}

}  // namespace reel::providers

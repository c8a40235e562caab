// Replicate's predictions API (replicate/replicate-python):
//   POST {base}/v1/models/{owner}/{name}/predictions  {"input": {...}} → a prediction
//   GET  {base}/v1/predictions/{id}   status starting | processing | succeeded | failed |
//                                     canceled; output: a URL or a list of URLs
//   POST {base}/v1/predictions/{id}/cancel
// Auth: "Authorization: Bearer <REPLICATE_API_TOKEN>".
#include "providers/provider.hpp"
#include "providers/provider_list.hpp"
#include "reel/core/error.hpp"

namespace reel::providers {
namespace {

class Replicate final : public Provider {
 public:
  std::string name() const override { return "replicate"; }
  std::vector<std::string> key_vars() const override { return {"REPLICATE_API_TOKEN"}; }
  std::string default_base_url() const override { return "https://api.replicate.com"; }
  std::chrono::milliseconds poll_interval() const override { return std::chrono::seconds(1); }

  HttpRequest submit(const std::string& base, const CallInput& in,
                     const Credentials& keys) const override {
    const auto slash = in.model.find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == in.model.size() ||
        in.model.find('/', slash + 1) != std::string::npos)
      throw Error(ErrorKind::InvalidInput,
                  "Replicate model id '" + in.model + "' is not owner/name (replicate:owner/name)");
    const Json body = {{"input", map_common_input(in, "image")}};
    return {"POST", base + "/v1/models/" + in.model + "/predictions", auth(keys), body.dump()};
  }

  Json task_of(const CallInput&, const HttpResponse& r) const override {
    return task_id_of(r, "Replicate");
  }

  HttpRequest poll(const std::string& base, const Json& task,
                   const Credentials& keys) const override {
    return {"GET", base + "/v1/predictions/" + task.at("id").get<std::string>(), auth(keys), ""};
  }

  TaskStatus status_of(const Json&, const HttpResponse& r) const override {
    const Json j = Json::parse(r.body, nullptr, false);
    if (!j.is_object()) throw Error(ErrorKind::Io, "Replicate's answer is not a JSON object");
    const std::string status = j.value("status", std::string());
    TaskStatus st;
    if (status == "starting") {
      st.state = TaskState::queued;
    } else if (status == "processing") {
      st.state = TaskState::running;
    } else if (status == "succeeded") {
      st.state = TaskState::succeeded;
      const Json& out = j.contains("output") ? j["output"] : Json();
      if (out.is_string()) st.outputs.push_back(out.get<std::string>());
      if (out.is_array())
        for (const auto& o : out)
          if (o.is_string()) st.outputs.push_back(o.get<std::string>());
    } else if (status == "failed") {
      st.state = TaskState::failed;
      if (j.contains("error") && !j["error"].is_null())
        st.message = j["error"].is_string() ? j["error"].get<std::string>() : j["error"].dump();
    } else if (status == "canceled") {
      st.state = TaskState::canceled;
    } else {
      throw Error(ErrorKind::Io, "Replicate answered an unknown status '" + status + "'");
    }
    return st;
  }

  std::optional<HttpRequest> cancel(const std::string& base, const Json& task,
                                    const Credentials& keys) const override {
    return HttpRequest{"POST",
                       base + "/v1/predictions/" + task.at("id").get<std::string>() + "/cancel",
                       auth(keys), ""};
  }

 private:
  static HeaderList auth(const Credentials& keys) {
    return json_headers({{"Authorization", "Bearer " + keys.values.at(0)}});
  }
};

}  // namespace

std::unique_ptr<Provider> make_replicate() {
  return std::make_unique<Replicate>();
}

}  // namespace reel::providers

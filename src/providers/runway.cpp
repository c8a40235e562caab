// Runway's developer API (runwayml/sdk-python: resources/image_to_video.py,
// text_to_image.py, tasks.py; types/*_create_params.py, task_retrieve_response.py):
//   POST {base}/v1/image_to_video {model, promptImage, promptText, ratio, duration, seed}
//   POST {base}/v1/text_to_image  {model, promptText, ratio, seed}         → {id}
//   GET  {base}/v1/tasks/{id}  status PENDING | THROTTLED | RUNNING (progress 0..1) |
//                              SUCCEEDED (output: [url]) | FAILED (failure, failureCode) |
//                              CANCELLED
//   DELETE {base}/v1/tasks/{id}  cancels a running task
// Auth "Authorization: Bearer <RUNWAYML_API_SECRET>" plus the API version header.
#include <cstdint>

#include "providers/provider.hpp"
#include "providers/provider_list.hpp"
#include "reel/core/error.hpp"

namespace reel::providers {
namespace {

// The API version the request shapes above belong to (the SDK's default).
constexpr const char* kApiVersion = "2024-11-06";

class Runway final : public Provider {
 public:
  std::string name() const override { return "runway"; }
  std::vector<std::string> key_vars() const override { return {"RUNWAYML_API_SECRET"}; }
  std::string default_base_url() const override { return "https://api.dev.runwayml.com"; }
  // The SDK waits ~6 s (±1.5 s) between polls; the engine backs off from 5 s.
  std::chrono::milliseconds poll_interval() const override { return std::chrono::seconds(5); }

  HttpRequest submit(const std::string& base, const CallInput& in,
                     const Credentials& keys) const override {
    const std::string id = in.row ? in.row->id() : "runway:" + in.model;
    if (in.model.empty() || in.model.find_first_of("/?#") != std::string::npos)
      throw Error(ErrorKind::InvalidInput, "Runway model name '" + in.model + "' is not valid");
    if (!in.negative_prompt.empty())
      throw Error(ErrorKind::InvalidInput,
                  id + " takes no negative prompt: say what to avoid in the prompt");
    // Runway's seeds are 32-bit; a larger one would be refused after the upload.
    if (in.seed > UINT32_MAX)
      throw Error(ErrorKind::InvalidInput,
                  id + " takes seeds 0..4294967295; " + std::to_string(in.seed) + " was asked");
    Json body = {{"model", in.model}, {"seed", in.seed}};
    if (!in.prompt.empty()) body["promptText"] = in.prompt;
    // The ratio is required: from width x height unless provider_input names one.
    if (!(in.provider_input.is_object() && in.provider_input.contains("ratio")))
      if (std::string ratio = ratio_of(in, id); !ratio.empty()) body["ratio"] = ratio;
    std::string path;
    switch (in.task) {
      case model::Task::text_to_image:
        path = "/v1/text_to_image";
        break;
      case model::Task::image_to_video:
        path = "/v1/image_to_video";
        body["promptImage"] = in.image_data_uri;  // a data URI (≤ 5 MB) is taken inline
        break;
      default:
        path = "/v1/text_to_video";
        break;
    }
    if (Json d = duration_value(in); !d.is_null()) body["duration"] = d;
    merge_provider_input(body, in);
    return {"POST", base + path, auth(keys), body.dump()};
  }

  Json task_of(const CallInput&, const HttpResponse& r) const override {
    return task_id_of(r, "Runway");
  }

  HttpRequest poll(const std::string& base, const Json& task,
                   const Credentials& keys) const override {
    return {"GET", task_url(base, task), auth(keys), ""};
  }

  TaskStatus status_of(const Json&, const HttpResponse& r) const override {
    const Json j = Json::parse(r.body, nullptr, false);
    if (!j.is_object()) throw Error(ErrorKind::Io, "Runway's task answer is not a JSON object");
    const std::string status = j.value("status", std::string());
    TaskStatus st;
    if (status == "PENDING") {
      st.state = TaskState::queued;
    } else if (status == "THROTTLED") {
      st.state = TaskState::queued;
      st.message = "throttled (the account's concurrency limit is reached)";
    } else if (status == "RUNNING") {
      st.state = TaskState::running;
      if (j.contains("progress") && j["progress"].is_number()) st.progress = j["progress"];
    } else if (status == "SUCCEEDED") {
      st.state = TaskState::succeeded;
      if (j.contains("output") && j["output"].is_array())
        for (const auto& o : j["output"])
          if (o.is_string()) st.outputs.push_back(o.get<std::string>());
    } else if (status == "FAILED") {
      st.state = TaskState::failed;
      st.message = j.value("failure", std::string());
      if (const std::string code = json_string(j, "/failureCode"); !code.empty())
        st.message += " (" + code + ")";
    } else if (status == "CANCELLED") {
      st.state = TaskState::canceled;
    } else {
      throw Error(ErrorKind::Io, "Runway answered an unknown task status '" + status + "'");
    }
    return st;
  }

  std::optional<HttpRequest> cancel(const std::string& base, const Json& task,
                                    const Credentials& keys) const override {
    return HttpRequest{"DELETE", task_url(base, task), auth(keys), ""};
  }

 private:
  static HeaderList auth(const Credentials& keys) {
    return json_headers(
        {{"Authorization", "Bearer " + keys.values.at(0)}, {"X-Runway-Version", kApiVersion}});
  }

  static std::string task_url(const std::string& base, const Json& task) {
    return base + "/v1/tasks/" + task.at("id").get<std::string>();
  }

  // Runway names output sizes as "W:H" in pixels; only the row's sizes are made.
  static std::string ratio_of(const CallInput& in, const std::string& id) {
    const std::string asked = std::to_string(in.width) + ":" + std::to_string(in.height);
    if (!in.row || in.row->ratios.empty()) return in.width > 0 && in.height > 0 ? asked : "";
    if (in.width <= 0 || in.height <= 0)
      throw Error(ErrorKind::InvalidInput,
                  id + " needs a size: set width and height to one of " + join(in.row->ratios));
    for (const auto& r : in.row->ratios)
      if (r == asked) return r;
    throw Error(ErrorKind::InvalidInput, id + " makes " + join(in.row->ratios) +
                                             " (width:height); " + std::to_string(in.width) + "x" +
                                             std::to_string(in.height) +
                                             " was asked (set width and height to one of them)");
  }
};

}  // namespace

std::unique_ptr<Provider> make_runway() {
  return std::make_unique<Runway>();
}

}  // namespace reel::providers

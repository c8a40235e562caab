// Alibaba Cloud Model Studio (DashScope), Wan video models (dashscope/dashscope-sdk-python:
// aigc/video_synthesis.py, client/base_api.py; Model Studio's Wan image-to-video and
// text-to-video API references):
//   POST {base}/api/v1/services/aigc/video-generation/video-synthesis
//        {model, input {prompt, negative_prompt, img_url}, parameters {size | resolution,
//         duration, seed, prompt_extend, watermark}} with "X-DashScope-Async: enable"
//        → {output {task_id, task_status}, request_id}
//   GET  {base}/api/v1/tasks/{task_id} → output.task_status PENDING | RUNNING | SUCCEEDED
//        (output.video_url, signed and expiring) | FAILED (output.code, output.message) |
//        CANCELED | UNKNOWN (no such task, or past its 24 h retention)
//   POST {base}/api/v1/tasks/{task_id}/cancel — only while PENDING: a running task goes on.
// Auth "Authorization: Bearer <DASHSCOPE_API_KEY>". img_url takes a URL or a base64 data
// URI, so reel's composited still is sent as is.

#include "providers/provider.hpp"
#include "providers/provider_list.hpp"
#include "reel/core/error.hpp"

namespace reel::providers {
namespace {

// 0..2^31-1: the range third-party copies of the Model Studio reference give.
constexpr std::uint64_t kSeedMax = 2147483647;

class DashScope final : public Provider {
 public:
  std::string name() const override { return "dashscope"; }
  std::vector<std::string> key_vars() const override { return {"DASHSCOPE_API_KEY"}; }
  // The international (Singapore) endpoint; mainland keys use dashscope.aliyuncs.com.
  std::string default_base_url() const override { return "https://dashscope-intl.aliyuncs.com"; }
  // The SDK polls from 1 s up to 5 s; a clip takes minutes.
  std::chrono::milliseconds poll_interval() const override { return std::chrono::seconds(5); }

  HttpRequest submit(const std::string& base, const CallInput& in,
                     const Credentials& keys) const override {
    const std::string id = in.row ? in.row->id() : "dashscope:" + in.model;
    if (in.task == model::Task::text_to_image)
      throw Error(ErrorKind::InvalidInput, id + " makes videos (text_to_video, image_to_video)");
    if (in.seed > kSeedMax)
      throw Error(ErrorKind::InvalidInput, id + " takes a seed in 0.." + std::to_string(kSeedMax) +
                                               "; " + std::to_string(in.seed) +
                                               " was asked (set the step's seed)");
    Json input = {{"prompt", in.prompt}};
    if (!in.negative_prompt.empty()) input["negative_prompt"] = in.negative_prompt;
    if (in.task == model::Task::image_to_video) input["img_url"] = in.image_data_uri;
    Json parameters = {{"seed", in.seed}};
    if (Json d = duration_value(in); !d.is_null()) parameters["duration"] = d;
    // Image-to-video takes a resolution tier (480P, 1080P: provider_input's
    // parameters.resolution, DashScope's default 1080P), not a size: the clip keeps the
    // still's aspect, and reel's width and height are the still's own.
    if (in.task == model::Task::text_to_video && in.width > 0 && in.height > 0)
      parameters["size"] = listed_size_of(in, id, "*");
    Json body = {{"model", in.model}, {"input", input}, {"parameters", parameters}};
    // provider_input laid over the body field by field ({"parameters": {"prompt_extend":
    // false}} keeps the mapped size), unlike the flat merge of the other adapters.
    if (!in.provider_input.is_object())
      throw Error(ErrorKind::InvalidInput, id + ": params.provider_input must be a mapping");
    body.merge_patch(in.provider_input);
    HeaderList headers = auth(keys);
    headers.emplace_back("X-DashScope-Async", "enable");  // video synthesis is async only
    return {"POST", base + "/api/v1/services/aigc/video-generation/video-synthesis", headers,
            body.dump()};
  }

  Json task_of(const CallInput&, const HttpResponse& r) const override {
    const Json j = Json::parse(r.body, nullptr, false);
    const std::string task_id = j.is_object() ? json_string(j, "/output/task_id") : "";
    if (task_id.empty())
      throw Error(ErrorKind::Io, "DashScope accepted the request but sent no output.task_id");
    return {{"id", task_id}};
  }

  HttpRequest poll(const std::string& base, const Json& task,
                   const Credentials& keys) const override {
    return {"GET", task_url(base, task), auth(keys), ""};
  }

  TaskStatus status_of(const Json&, const HttpResponse& r) const override {
    const std::string status = status_word(r);
    const Json j = Json::parse(r.body);
    TaskStatus st;
    if (status == "PENDING") {
      st.state = TaskState::queued;
    } else if (status == "RUNNING") {
      st.state = TaskState::running;
    } else if (status == "SUCCEEDED") {
      st.state = TaskState::succeeded;
      if (const std::string url = json_string(j, "/output/video_url"); !url.empty())
        st.outputs.push_back(url);
    } else if (status == "FAILED") {
      st.state = TaskState::failed;
      const std::string code = json_string(j, "/output/code");
      st.message = (code.empty() ? "" : code + ": ") + json_string(j, "/output/message");
    } else if (status == "CANCELED") {
      st.state = TaskState::canceled;
    } else if (status == "UNKNOWN") {
      st.state = TaskState::failed;
      st.message = "DashScope does not know this task (tasks are kept 24 hours)";
    } else {
      throw Error(ErrorKind::Io, "DashScope answered an unknown task_status '" + status + "'");
    }
    return st;
  }

  std::optional<HttpRequest> cancel(const std::string& base, const Json& task,
                                    const Credentials& keys) const override {
    return HttpRequest{"POST", task_url(base, task) + "/cancel", auth(keys), ""};
  }

  bool task_forgotten(const HttpResponse& r) const override {
    return r.status == 404 || (r.status == 200 && status_word(r) == "UNKNOWN");
  }

 private:
  static HeaderList auth(const Credentials& keys) {
    return json_headers({{"Authorization", "Bearer " + keys.values.at(0)}});
  }

  static std::string task_url(const std::string& base, const Json& task) {
    return base + "/api/v1/tasks/" + task.at("id").get<std::string>();
  }

  static std::string status_word(const HttpResponse& r) {
    const Json j = Json::parse(r.body, nullptr, false);
    if (!j.is_object()) throw Error(ErrorKind::Io, "DashScope's task answer is not JSON");
    return json_string(j, "/output/task_status");
  }
};

}  // namespace

std::unique_ptr<Provider> make_dashscope() {
  return std::make_unique<DashScope>();
}

}  // namespace reel::providers

// Kling's own API (Kuaishou; a stored copy of its API reference's image-to-video page,
// the response models in ComfyUI's comfy_api_nodes/apis/kling.py, and the token's claims
// as third-party guides and clients describe Kling's authentication section):
//   POST {base}/v1/videos/text2video  {model_name, prompt, negative_prompt, duration "5",
//                                      mode std|pro, aspect_ratio}
//   POST {base}/v1/videos/image2video {model_name, image, prompt, negative_prompt, duration,
//                                      mode}  → {code, message, request_id, data{task_id}}
//   GET  {base}/v1/videos/{text2video|image2video}/{task_id} → data.task_status submitted |
//        processing | succeed (task_result.videos[].url) | failed (task_status_msg)
// Every answer carries `code`: anything but 0 is an error, even under HTTP 200.
// Auth "Authorization: Bearer <JWT>" minted per request from KLING_ACCESS_KEY and
// KLING_SECRET_KEY (kling_jwt.hpp); the secret itself is never sent. There is no cancel
// endpoint: a submitted task runs to its end and is billed.
#include <algorithm>
#include <ctime>

#include "providers/kling_jwt.hpp"
#include "providers/provider.hpp"
#include "providers/provider_list.hpp"
#include "reel/core/error.hpp"

namespace reel::providers {
namespace {

const std::vector<std::string> kModes = {"std", "pro"};

class Kling final : public Provider {
 public:
  std::string name() const override { return "kling"; }
  std::vector<std::string> key_vars() const override {
    return {"KLING_ACCESS_KEY", "KLING_SECRET_KEY"};
  }
  // The global (Singapore) host the current API reference's examples call.
  std::string default_base_url() const override { return "https://api-singapore.klingai.com"; }
  // Kling documents no interval; a clip takes minutes, so 5 s costs nothing.
  std::chrono::milliseconds poll_interval() const override { return std::chrono::seconds(5); }

  HttpRequest submit(const std::string& base, const CallInput& in,
                     const Credentials& keys) const override {
    const std::string id = in.row ? in.row->id() : "kling:" + in.model;
    if (in.task == model::Task::text_to_image)
      throw Error(ErrorKind::InvalidInput, id + " makes videos (text_to_video, image_to_video)");
    const bool from_image = in.task == model::Task::image_to_video;
    // No seed: Kling's request has none, so the same call may give another clip.
    Json body = {{"model_name", in.model}, {"prompt", in.prompt}, {"mode", "std"}};
    if (!in.negative_prompt.empty()) body["negative_prompt"] = in.negative_prompt;
    if (Json d = duration_value(in); !d.is_null()) body["duration"] = d;
    if (from_image) {
      // Kling wants the bare base64, without the data URI's "data:image/png;base64,".
      const auto comma = in.image_data_uri.find(',');
      if (comma == std::string::npos)
        throw Error(ErrorKind::InvalidInput, id + " needs a first frame (the step's image)");
      body["image"] = in.image_data_uri.substr(comma + 1);
    } else if (in.width > 0 && in.height > 0) {
      // image2video has no aspect ratio: the first frame sets it.
      body["aspect_ratio"] = aspect_ratio_of(in, id);
    }
    merge_provider_input(body, in);
    if (const Json& mode = body["mode"];
        !mode.is_string() ||
        std::find(kModes.begin(), kModes.end(), mode.get<std::string>()) == kModes.end())
      throw Error(ErrorKind::InvalidInput,
                  id + " takes mode " + join(kModes) + "; " + mode.dump() + " was asked");
    return {"POST", base + "/v1/videos/" + kind_of(in.task), auth(keys), body.dump()};
  }

  Json task_of(const CallInput& in, const HttpResponse& r) const override {
    const Json data = data_of(r, "a submission");
    const std::string task_id = data.value("task_id", std::string());
    if (task_id.empty())
      throw Error(ErrorKind::Io, "Kling accepted the request but sent no task_id");
    // The status path names the endpoint the task was created on.
    return {{"id", task_id}, {"kind", kind_of(in.task)}};
  }

  HttpRequest poll(const std::string& base, const Json& task,
                   const Credentials& keys) const override {
    return {"GET",
            base + "/v1/videos/" + task.value("kind", std::string("text2video")) + "/" +
                task.at("id").get<std::string>(),
            auth(keys), ""};
  }

  TaskStatus status_of(const Json&, const HttpResponse& r) const override {
    const Json data = data_of(r, "a status answer");
    const std::string status = data.value("task_status", std::string());
    TaskStatus st;
    if (status == "submitted") {
      st.state = TaskState::queued;
    } else if (status == "processing") {
      st.state = TaskState::running;
    } else if (status == "succeed") {
      st.state = TaskState::succeeded;
      if (const std::string url = json_string(data, "/task_result/videos/0/url"); !url.empty())
        st.outputs.push_back(url);
    } else if (status == "failed") {
      st.state = TaskState::failed;
      st.message = json_string(data, "/task_status_msg");
    } else {
      throw Error(ErrorKind::Io, "Kling answered an unknown task_status '" + status + "'");
    }
    return st;
  }

  std::optional<HttpRequest> cancel(const std::string&, const Json&,
                                    const Credentials&) const override {
    return std::nullopt;  // Kling has no cancel endpoint
  }

 private:
  static HeaderList auth(const Credentials& keys) {
    const std::string jwt = kling_jwt(keys.values.at(0), keys.values.at(1), std::time(nullptr));
    return json_headers({{"Authorization", "Bearer " + jwt}});
  }

  static std::string kind_of(model::Task task) {
    return task == model::Task::image_to_video ? "image2video" : "text2video";
  }

  // `data` of an answer whose `code` is 0; Kling's own message otherwise.
  static Json data_of(const HttpResponse& r, const char* what) {
    const Json j = Json::parse(r.body, nullptr, false);
    if (!j.is_object()) throw Error(ErrorKind::Io, std::string("Kling's ") + what + " is not JSON");
    if (const Json code = j.value("code", Json(0)); code != 0)
      throw Error(ErrorKind::InvalidInput, "Kling answered code " + code.dump() + ": " +
                                               j.value("message", std::string("(no message)")));
    if (!j.contains("data") || !j["data"].is_object())
      throw Error(ErrorKind::Io, std::string("Kling's ") + what + " has no data");
    return j["data"];
  }
};

}  // namespace

std::unique_ptr<Provider> make_kling() {
  return std::make_unique<Kling>();
}

}  // namespace reel::providers

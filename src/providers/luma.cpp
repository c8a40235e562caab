// Luma's Dream Machine API (lumalabs/lumaai-python: resources/generations/generations.py,
// types/generation_create_params.py, types/generation.py):
//   POST {base}/generations/video {model, prompt, aspect_ratio, duration "5s", resolution,
//                                  keyframes {frame0: {type: "image", url}}} → a generation
//   GET  {base}/generations/{id}  state queued | dreaming | completed (assets.video) |
//                                 failed (failure_reason)
//   DELETE {base}/generations/{id}
// Auth "Authorization: Bearer <LUMAAI_API_KEY>". Keyframe images are URLs only: Luma has
// no upload endpoint, so reel's composited first frame (a data URI) cannot be sent.
#include <string>

#include "providers/provider.hpp"
#include "providers/provider_list.hpp"
#include "reel/core/error.hpp"

namespace reel::providers {
namespace {

class Luma final : public Provider {
 public:
  std::string name() const override { return "luma"; }
  std::vector<std::string> key_vars() const override { return {"LUMAAI_API_KEY"}; }
  std::string default_base_url() const override {
    return "https://api.lumalabs.ai/dream-machine/v1";
  }
  // Luma documents no interval; a clip takes a minute or more, so 3 s costs nothing.
  std::chrono::milliseconds poll_interval() const override { return std::chrono::seconds(3); }

  HttpRequest submit(const std::string& base, const CallInput& in,
                     const Credentials& keys) const override {
    const std::string id = in.row ? in.row->id() : "luma:" + in.model;
    if (in.task == model::Task::text_to_image)
      throw Error(ErrorKind::InvalidInput, id + " makes videos (text_to_video, image_to_video)");
    if (!in.negative_prompt.empty())
      throw Error(ErrorKind::InvalidInput,
                  id + " takes no negative prompt: say what to avoid in the prompt");
    const bool keyframes_given =
        in.provider_input.is_object() && in.provider_input.contains("keyframes");
    if (!in.image_data_uri.empty() && !keyframes_given)
      throw Error(ErrorKind::InvalidInput,
                  id + ": Luma takes the first frame as an https URL: pass "
                       "params.provider_input.keyframes ({\"frame0\": {\"type\": \"image\", "
                       "\"url\": \"https://...\"}}); it has no upload for reel's still");
    // No seed: Luma's request has none, so the same call may give another clip.
    Json body = {{"model", in.model}, {"prompt", in.prompt}};
    if (in.width > 0 && in.height > 0) body["aspect_ratio"] = aspect_ratio_of(in, id);
    if (Json d = duration_value(in); !d.is_null()) body["duration"] = d;
    merge_provider_input(body, in);
    return {"POST", base + "/generations/video", auth(keys), body.dump()};
  }

  Json task_of(const CallInput&, const HttpResponse& r) const override {
    return task_id_of(r, "Luma");
  }

  HttpRequest poll(const std::string& base, const Json& task,
                   const Credentials& keys) const override {
    return {"GET", generation_url(base, task), auth(keys), ""};
  }

  TaskStatus status_of(const Json&, const HttpResponse& r) const override {
    const Json j = Json::parse(r.body, nullptr, false);
    if (!j.is_object()) throw Error(ErrorKind::Io, "Luma's generation is not a JSON object");
    const std::string state = j.value("state", std::string());
    TaskStatus st;
    if (state == "queued") {
      st.state = TaskState::queued;
    } else if (state == "dreaming") {
      st.state = TaskState::running;
    } else if (state == "completed") {
      st.state = TaskState::succeeded;
      if (const std::string url = json_string(j, "/assets/video"); !url.empty())
        st.outputs.push_back(url);
    } else if (state == "failed") {
      st.state = TaskState::failed;
      st.message = json_string(j, "/failure_reason");
    } else {
      throw Error(ErrorKind::Io, "Luma answered an unknown state '" + state + "'");
    }
    return st;
  }

  std::optional<HttpRequest> cancel(const std::string& base, const Json& task,
                                    const Credentials& keys) const override {
    return HttpRequest{"DELETE", generation_url(base, task), auth(keys), ""};
  }

 private:
  static HeaderList auth(const Credentials& keys) {
    return json_headers({{"Authorization", "Bearer " + keys.values.at(0)}});
  }

  static std::string generation_url(const std::string& base, const Json& task) {
    return base + "/generations/" + task.at("id").get<std::string>();
  }
};

}  // namespace

std::unique_ptr<Provider> make_luma() {
  return std::make_unique<Luma>();
}

}  // namespace reel::providers

// Google Veo through the Gemini API (googleapis/python-genai: models.py, the mldev request
// converters for generate_videos and the operation's answer; files.py download):
//   POST {base}/v1beta/models/{model}:predictLongRunning
//        {instances: [{prompt, image {bytesBase64Encoded, mimeType}}],
//         parameters {aspectRatio, durationSeconds, negativePrompt, resolution, sampleCount}}
//        → a long-running operation {name: "models/{model}/operations/{id}"}
//   GET  {base}/v1beta/{operation name} → {done, error {code, message},
//        response.generateVideoResponse.generatedSamples[].video.uri}
// Auth "x-goog-api-key: <GEMINI_API_KEY>". The video URI is a Files API download
// (files/{id}:download?alt=media) that the SDK fetches through its keyed client; the key
// is added to a download only under the base's own origin (download() below), and the
// engine asks again at every redirect. The Gemini API takes no seed (the SDK refuses one
// outside Vertex), so none is sent. No cancel is used for these operations: a started
// generation runs on, and is billed.
#include "providers/provider.hpp"
#include "providers/provider_list.hpp"
#include "reel/core/error.hpp"

namespace reel::providers {
namespace {

constexpr const char* kBase = "https://generativelanguage.googleapis.com";

class Veo final : public Provider {
 public:
  std::string name() const override { return "veo"; }
  std::vector<std::string> key_vars() const override { return {"GEMINI_API_KEY"}; }
  std::string default_base_url() const override { return kBase; }
  // Google's examples poll every 10 to 20 s; a clip takes one to several minutes.
  std::chrono::milliseconds poll_interval() const override { return std::chrono::seconds(10); }

  HttpRequest submit(const std::string& base, const CallInput& in,
                     const Credentials& keys) const override {
    const std::string id = in.row ? in.row->id() : "veo:" + in.model;
    if (in.model.empty() || in.model.find_first_of("/?#:") != std::string::npos)
      throw Error(ErrorKind::InvalidInput, "Veo model name '" + in.model + "' is not valid");
    if (in.task == model::Task::text_to_image)
      throw Error(ErrorKind::InvalidInput, id + " makes videos (text_to_video, image_to_video)");
    Json instance = {{"prompt", in.prompt}};
    if (in.task == model::Task::image_to_video) instance["image"] = image_of(in, id);
    Json parameters = {{"sampleCount", 1}};
    if (!in.negative_prompt.empty()) parameters["negativePrompt"] = in.negative_prompt;
    if (Json d = duration_value(in); !d.is_null()) parameters["durationSeconds"] = d;
    // Image-to-video keeps the still's aspect unless provider_input names one.
    if (in.task == model::Task::text_to_video && in.width > 0 && in.height > 0)
      parameters["aspectRatio"] = aspect_ratio_of(in, id);
    Json body = {{"instances", Json::array({instance})}, {"parameters", parameters}};
    // Laid over field by field: {"parameters": {"resolution": "1080p"}} keeps the rest.
    if (!in.provider_input.is_object())
      throw Error(ErrorKind::InvalidInput, id + ": params.provider_input must be a mapping");
    body.merge_patch(in.provider_input);
    return {"POST", base + "/v1beta/models/" + in.model + ":predictLongRunning", auth(keys),
            body.dump()};
  }

  Json task_of(const CallInput&, const HttpResponse& r) const override {
    // The operation's name is its id; polls GET it under /v1beta/.
    const Json task = task_id_of(r, "Veo", "name");
    const std::string name = task.at("id").get<std::string>();
    if (name.find("..") != std::string::npos || name.find_first_of("?#") != std::string::npos)
      throw Error(ErrorKind::Io, "Veo answered an operation name reel will not follow");
    return task;
  }

  HttpRequest poll(const std::string& base, const Json& task,
                   const Credentials& keys) const override {
    return {"GET", base + "/v1beta/" + task.at("id").get<std::string>(), auth(keys), ""};
  }

  TaskStatus status_of(const Json&, const HttpResponse& r) const override {
    const Json j = Json::parse(r.body, nullptr, false);
    if (!j.is_object()) throw Error(ErrorKind::Io, "Veo's operation is not a JSON object");
    TaskStatus st;
    if (!j.value("done", false)) {
      st.state = TaskState::running;
      return st;
    }
    if (j.contains("error") && j["error"].is_object()) {
      st.state = TaskState::failed;
      st.message = json_string(j, "/error/message");
      return st;
    }
    const Json* samples = nullptr;
    try {
      samples = &j.at(Json::json_pointer("/response/generateVideoResponse/generatedSamples"));
    } catch (const std::exception&) {
    }
    if (samples && samples->is_array() && !samples->empty()) {
      st.state = TaskState::succeeded;
      if (const std::string uri = json_string(samples->front(), "/video/uri"); !uri.empty())
        st.outputs.push_back(uri);
      return st;
    }
    // Done without a video: Google's safety filters took it, and say why.
    st.state = TaskState::failed;
    st.message = "no video returned";
    if (const Json* reasons = filtered_reasons(j); reasons && !reasons->empty())
      st.message += ": " + (reasons->front().is_string() ? reasons->front().get<std::string>()
                                                         : reasons->front().dump());
    return st;
  }

  std::optional<HttpRequest> cancel(const std::string&, const Json&,
                                    const Credentials&) const override {
    return std::nullopt;  // no documented cancel for Veo's operations
  }

  HttpRequest download(const std::string& base, const std::string& url,
                       const Credentials& keys) const override {
    // Files under the base's own origin (scheme, host and port, compared as a prefix up
    // to the path's slash, so "…googleapis.com.evil" and "…googleapis.com@evil" are
    // not it) need the key; anywhere else, such as a signed storage URL a download
    // redirects to, gets none.
    const auto scheme = base.find("://");
    const std::string origin =
        scheme == std::string::npos ? "" : base.substr(0, base.find('/', scheme + 3));
    if (origin.empty() || url.rfind(origin + "/", 0) != 0) return {"GET", url, {}, ""};
    return {"GET", url, {{"x-goog-api-key", keys.values.at(0)}}, ""};
  }

 private:
  static HeaderList auth(const Credentials& keys) {
    return json_headers({{"x-goog-api-key", keys.values.at(0)}});
  }

  // The still as the API's inline image: base64 bytes and their type, from the data URI.
  static Json image_of(const CallInput& in, const std::string& id) {
    const std::string& uri = in.image_data_uri;
    const auto comma = uri.find(',');
    const auto semi = uri.find(';');
    if (uri.rfind("data:", 0) != 0 || comma == std::string::npos || semi == std::string::npos ||
        semi > comma)
      throw Error(ErrorKind::InvalidInput, id + " needs the first frame as a base64 data URI");
    return {{"bytesBase64Encoded", uri.substr(comma + 1)}, {"mimeType", uri.substr(5, semi - 5)}};
  }

  static const Json* filtered_reasons(const Json& j) {
    try {
      const Json& r =
          j.at(Json::json_pointer("/response/generateVideoResponse/raiMediaFilteredReasons"));
      return r.is_array() ? &r : nullptr;
    } catch (const std::exception&) {
      return nullptr;
    }
  }
};

}  // namespace

std::unique_ptr<Provider> make_veo() {
  return std::make_unique<Veo>();
}

}  // namespace reel::providers

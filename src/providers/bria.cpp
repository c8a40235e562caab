// Bria's v2 API (docs.bria.ai: the Image Generation reference and the Status Service):
//   POST {base}/image/generate {prompt, aspect_ratio, seed, sync: false}
//        → 202 {request_id, status_url}
//   GET  {base}/status/{request_id} → status IN_PROGRESS | COMPLETED (result.image_url, or
//        result.video_url for video endpoints) | ERROR (error {code, message}) | UNKNOWN
//        (an internal error at Bria); 404 once the request is unknown or expired.
// Auth "api_token: <BRIA_API_TOKEN>". No cancel endpoint is documented: a request once
// accepted runs to its end. Bria's models are trained on licensed data only.
//
// `bria:fibo` is the FIBO pipeline behind /image/generate; any other model name is taken
// as a v2 endpoint path ("image/generate/lite"). The status is read on the base URL with
// the request id rather than at status_url, so the key goes only to the base's host.
#include <cstdint>

#include "providers/provider.hpp"
#include "providers/provider_list.hpp"
#include "reel/core/error.hpp"

namespace reel::providers {
namespace {

constexpr std::int64_t kMaxSeed = 2147483647;

class Bria final : public Provider {
 public:
  std::string name() const override { return "bria"; }
  std::vector<std::string> key_vars() const override { return {"BRIA_API_TOKEN"}; }
  std::string default_base_url() const override { return "https://engine.prod.bria-api.com/v2"; }
  // Bria documents no interval; a FIBO image takes several seconds.
  std::chrono::milliseconds poll_interval() const override { return std::chrono::seconds(1); }

  HttpRequest submit(const std::string& base, const CallInput& in,
                     const Credentials& keys) const override {
    const std::string id = in.row ? in.row->id() : "bria:" + in.model;
    const std::string path = in.model == "fibo" ? "image/generate" : in.model;
    if (path.empty() || path.front() == '/' || path.find("..") != std::string::npos ||
        path.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_-/") != std::string::npos)
      throw Error(ErrorKind::InvalidInput,
                  "Bria model name '" + in.model + "' is not valid (fibo, or a v2 endpoint path)");
    if (in.task != model::Task::text_to_image)
      throw Error(ErrorKind::InvalidInput,
                  id + " makes still images only (text_to_image): Bria's video endpoints edit an "
                       "existing video");
    if (!in.negative_prompt.empty())
      throw Error(ErrorKind::InvalidInput,
                  id + " takes no negative prompt: say what to avoid in the prompt");
    if (in.seed > static_cast<std::uint64_t>(kMaxSeed))
      throw Error(ErrorKind::InvalidInput,
                  id + " takes seeds 0..2147483647; " + std::to_string(in.seed) + " was asked");
    Json body = {{"prompt", in.prompt}, {"seed", in.seed}, {"sync", false}};
    if (in.width > 0 && in.height > 0) body["aspect_ratio"] = aspect_ratio_of(in, id);
    merge_provider_input(body, in);
    return {"POST", base + "/" + path, auth(keys), body.dump()};
  }

  Json task_of(const CallInput&, const HttpResponse& r) const override {
    return task_id_of(r, "Bria", "request_id");
  }

  HttpRequest poll(const std::string& base, const Json& task,
                   const Credentials& keys) const override {
    return {"GET", base + "/status/" + task.at("id").get<std::string>(), auth(keys), ""};
  }

  TaskStatus status_of(const Json&, const HttpResponse& r) const override {
    const Json j = Json::parse(r.body, nullptr, false);
    if (!j.is_object()) throw Error(ErrorKind::Io, "Bria's status answer is not a JSON object");
    const std::string status = j.value("status", std::string());
    TaskStatus st;
    if (status == "IN_PROGRESS") {
      st.state = TaskState::running;
    } else if (status == "COMPLETED") {
      st.state = TaskState::succeeded;
      for (const char* at : {"/result/image_url", "/result/video_url"})
        if (const std::string url = json_string(j, at); !url.empty()) st.outputs.push_back(url);
    } else if (status == "ERROR") {
      st.state = TaskState::failed;
      st.message = error_message(r);
    } else if (status == "UNKNOWN") {
      st.state = TaskState::failed;
      st.message = "Bria reported an unexpected internal error (status UNKNOWN)";
    } else {
      throw Error(ErrorKind::Io, "Bria answered an unknown status '" + status + "'");
    }
    return st;
  }

  std::optional<HttpRequest> cancel(const std::string&, const Json&,
                                    const Credentials&) const override {
    return std::nullopt;  // Bria documents no cancel endpoint
  }

 private:
  static HeaderList auth(const Credentials& keys) {
    return json_headers({{"api_token", keys.values.at(0)}});
  }
};

}  // namespace

std::unique_ptr<Provider> make_bria() {
  return std::make_unique<Bria>();
}

}  // namespace reel::providers

// OpenAI's image generation (the team's research notes on the Images API; not checked
// against OpenAI's SDK or reference in this change):
//   POST {base}/v1/images/generations {model: gpt-image-1, prompt, size, n, quality,
//        output_format, background, moderation} → {created, data: [{b64_json}], usage}
// Synchronous: the answer is the image, so the engine neither records nor polls a task
// (Provider::synchronous), and a run killed mid-request pays again when re-run. Errors
// are {error: {message, type, code}}. Auth "Authorization: Bearer <OPENAI_API_KEY>".
// Nothing to cancel: a request cut off may still be billed.

#include "providers/provider.hpp"
#include "providers/provider_list.hpp"
#include "reel/core/error.hpp"

namespace reel::providers {
namespace {

class OpenAI final : public Provider {
 public:
  std::string name() const override { return "openai"; }
  std::vector<std::string> key_vars() const override { return {"OPENAI_API_KEY"}; }
  std::string default_base_url() const override { return "https://api.openai.com"; }
  bool synchronous() const override { return true; }

  HttpRequest submit(const std::string& base, const CallInput& in,
                     const Credentials& keys) const override {
    const std::string id = in.row ? in.row->id() : "openai:" + in.model;
    if (in.task != model::Task::text_to_image)
      throw Error(ErrorKind::InvalidInput, id + " makes still images only (text_to_image)");
    if (!in.negative_prompt.empty())
      throw Error(ErrorKind::InvalidInput,
                  id + " takes no negative prompt: say what to avoid in the prompt");
    // No seed: the Images API takes none, so the same call may give another image. One
    // image per call: reel stores one output.
    Json body = {{"model", in.model}, {"prompt", in.prompt}, {"n", 1}};
    if (in.width > 0 && in.height > 0) body["size"] = listed_size_of(in, id, "x");
    merge_provider_input(body, in);
    if (body.value("n", 1) != 1)
      throw Error(ErrorKind::InvalidInput, id + ": reel makes one image per call (n = 1)");
    return {"POST", base + "/v1/images/generations", auth(keys), body.dump()};
  }

  Json task_of(const CallInput&, const HttpResponse&) const override {
    throw Error(ErrorKind::Internal, "OpenAI's images API has no task to record");
  }

  HttpRequest poll(const std::string&, const Json&, const Credentials&) const override {
    throw Error(ErrorKind::Internal, "OpenAI's images API has no task to poll");
  }

  // The submission's answer: the image inline, as a PNG data URI for the engine.
  TaskStatus status_of(const Json&, const HttpResponse& r) const override {
    const Json j = Json::parse(r.body, nullptr, false);
    if (!j.is_object()) throw Error(ErrorKind::Io, "OpenAI's answer is not a JSON object");
    TaskStatus st;
    const std::string b64 = json_string(j, "/data/0/b64_json");
    if (b64.empty()) {
      st.state = TaskState::failed;
      st.message = "no image in the answer";
      return st;
    }
    st.state = TaskState::succeeded;
    // The bytes are checked when decoded; the type here only names the encoding.
    st.outputs.push_back("data:image/png;base64," + b64);
    return st;
  }

  std::optional<HttpRequest> cancel(const std::string&, const Json&,
                                    const Credentials&) const override {
    return std::nullopt;  // a synchronous request has nothing to cancel
  }

 private:
  static HeaderList auth(const Credentials& keys) {
    return json_headers({{"Authorization", "Bearer " + keys.values.at(0)}});
  }
};

}  // namespace

std::unique_ptr<Provider> make_openai() {
  return std::make_unique<OpenAI>();
}

}  // namespace reel::providers

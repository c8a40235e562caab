// Adobe Firefly Services, the Firefly API (developer.adobe.com/firefly-services/docs:
// the authentication guide, "Using the asynchronous Firefly APIs"; the @adobe/firefly-apis
// models AsyncResponseV3 and GenerateImagesRequest):
//   POST https://ims-na1.adobelogin.com/ims/token/v3 (form: grant_type=client_credentials,
//        client_id, client_secret, scope) → {access_token, token_type, expires_in}
//   POST {base}/v3/images/generate-async {prompt, numVariations, seeds, size {width,
//        height}, negativePrompt} with x-model-version → {jobId, statusUrl, cancelUrl}
//   GET  {statusUrl} → status pending | running (progress %) | succeeded
//        (result.outputs[].image.url) | failed
//   PUT  {cancelUrl}
// API calls send "x-api-key: <client id>" and "Authorization: Bearer <access token>"; the
// client secret goes to the token endpoint alone. The engine keeps the token in memory
// for its lifetime (24 h), never on disk. Adobe trains Firefly on licensed content
// (Adobe Stock) and public-domain content whose copyright has expired.
//
// statusUrl and cancelUrl are absolute: the key goes only to https hosts under adobe.io;
// when the base URL is overridden (a proxy, the test double) their scheme and host are
// replaced by the base's, and the token endpoint becomes {base}/ims/token/v3.
#include <algorithm>
#include <cctype>
#include <cmath>

#include "providers/provider.hpp"
#include "providers/provider_list.hpp"
#include "reel/core/error.hpp"

namespace reel::providers {
namespace {

constexpr const char* kBase = "https://firefly-api.adobe.io";
constexpr const char* kIms = "https://ims-na1.adobelogin.com/ims/token/v3";
constexpr const char* kTokenPath = "/ims/token/v3";
// The scopes Adobe's authentication guide asks for the Firefly API.
constexpr const char* kScope =
    "openid,AdobeID,session,additional_info,read_organizations,firefly_api,ff_apis";

// application/x-www-form-urlencoded value.
std::string form_value(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

class Firefly final : public Provider {
 public:
  std::string name() const override { return "firefly"; }
  std::vector<std::string> key_vars() const override {
    return {"FIREFLY_SERVICES_CLIENT_ID", "FIREFLY_SERVICES_CLIENT_SECRET"};
  }
  std::string default_base_url() const override { return kBase; }
  // Adobe's async guide polls once a second.
  std::chrono::milliseconds poll_interval() const override { return std::chrono::seconds(1); }

  std::optional<HttpRequest> token_request(const std::string& base,
                                           const Credentials& keys) const override {
    const std::string url = base == kBase ? std::string(kIms) : base + kTokenPath;
    return HttpRequest{"POST",
                       url,
                       {{"Content-Type", "application/x-www-form-urlencoded"},
                        {"Accept", "application/json"},
                        {"User-Agent", "reel"}},
                       "grant_type=client_credentials&client_id=" + form_value(keys.values.at(0)) +
                           "&client_secret=" + form_value(keys.values.at(1)) +
                           "&scope=" + form_value(kScope)};
  }

  AccessToken token_of(const HttpResponse& r) const override {
    const Json j = Json::parse(r.body, nullptr, false);
    if (!j.is_object()) throw Error(ErrorKind::Io, "Adobe IMS's token answer is not JSON");
    AccessToken t;
    t.value = j.value("access_token", std::string());
    // expires_in is in seconds (86399 in Adobe's example); without one, an hour. Held to
    // 0..7 days before any conversion: the answer is untrusted.
    const Json expires = j.value("expires_in", Json(3600));
    const double seconds = expires.is_number() ? expires.get<double>() : 3600;
    t.lifetime = std::chrono::seconds(
        static_cast<long long>(std::isfinite(seconds) ? std::clamp(seconds, 0.0, 604800.0) : 0));
    return t;
  }

  HttpRequest submit(const std::string& base, const CallInput& in,
                     const Credentials& keys) const override {
    const std::string id = in.row ? in.row->id() : "firefly:" + in.model;
    if (in.model.empty() ||
        in.model.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos)
      throw Error(ErrorKind::InvalidInput,
                  "Firefly model version '" + in.model + "' is not valid (e.g. image4_standard)");
    if (in.task != model::Task::text_to_image)
      throw Error(ErrorKind::InvalidInput, id + " makes still images only (text_to_image)");
    Json body = {{"prompt", in.prompt}, {"numVariations", 1}, {"seeds", Json::array({in.seed})}};
    if (!in.negative_prompt.empty()) body["negativePrompt"] = in.negative_prompt;
    if (in.width > 0 && in.height > 0) body["size"] = {{"width", in.width}, {"height", in.height}};
    merge_provider_input(body, in);
    if (const Json& n = body["numVariations"]; n != 1)
      throw Error(ErrorKind::InvalidInput,
                  id + " makes one image per call (numVariations = 1); " + n.dump() + " was asked");
    HeaderList headers = auth(keys);
    headers.emplace_back("x-model-version", in.model);
    return {"POST", base + "/v3/images/generate-async", headers, body.dump()};
  }

  Json task_of(const CallInput&, const HttpResponse& r) const override {
    Json task = task_id_of(r, "Firefly", "jobId");
    const Json j = Json::parse(r.body);
    for (const auto& [from, to] :
         {std::pair{"/statusUrl", "status_url"}, {"/cancelUrl", "cancel_url"}})
      if (const std::string url = json_string(j, from); !url.empty()) task[to] = url;
    return task;
  }

  HttpRequest poll(const std::string& base, const Json& task,
                   const Credentials& keys) const override {
    return {"GET", job_url(base, task, "status_url", "/v3/status/"), auth(keys), ""};
  }

  TaskStatus status_of(const Json&, const HttpResponse& r) const override {
    const Json j = Json::parse(r.body, nullptr, false);
    if (!j.is_object()) throw Error(ErrorKind::Io, "Firefly's job answer is not a JSON object");
    const std::string status = j.value("status", std::string());
    TaskStatus st;
    if (status == "pending" || status == "not_started") {
      st.state = TaskState::queued;
    } else if (status == "running" || status == "cancel_pending") {
      st.state = TaskState::running;
      if (j.contains("progress") && j["progress"].is_number())
        st.progress = j["progress"].get<double>() / 100;
    } else if (status == "succeeded") {
      st.state = TaskState::succeeded;
      if (const std::string url = json_string(j, "/result/outputs/0/image/url"); !url.empty())
        st.outputs.push_back(url);
    } else if (status == "failed") {
      st.state = TaskState::failed;
      st.message = error_message(r);
    } else if (status == "canceled" || status == "cancelled") {
      st.state = TaskState::canceled;
    } else {
      throw Error(ErrorKind::Io, "Firefly answered an unknown job status '" + status + "'");
    }
    return st;
  }

  std::optional<HttpRequest> cancel(const std::string& base, const Json& task,
                                    const Credentials& keys) const override {
    return HttpRequest{"PUT", job_url(base, task, "cancel_url", "/v3/cancel/"), auth(keys), ""};
  }

  // Firefly's {error_code, message}, a failed job's message, or IMS's {error,
  // error_description}.
  std::string error_message(const HttpResponse& r) const override {
    const Json j = Json::parse(r.body, nullptr, false);
    if (!j.is_object()) return "";
    for (const char* at : {"/message", "/error/message", "/errors/0/message", "/error_description"})
      if (std::string m = json_string(j, at); !m.empty()) {
        const std::string code =
            json_string(j, j.contains("error_code") ? "/error_code" : "/error");
        return code.empty() ? m : code + ": " + m;
      }
    return Provider::error_message(r);
  }

 private:
  static HeaderList auth(const Credentials& keys) {
    return json_headers(
        {{"x-api-key", keys.values.at(0)}, {"Authorization", "Bearer " + keys.token}});
  }

  // The job's status or cancel URL as Firefly gave it; the documented path on the base
  // for a record without one.
  static std::string job_url(const std::string& base, const Json& task, const char* field,
                             const char* path) {
    const std::string given = task.value(field, std::string());
    if (given.empty()) return base + path + task.at("id").get<std::string>();
    return provider_url(base, kBase, given, "adobe.io", "Firefly");
  }
};

}  // namespace

std::unique_ptr<Provider> make_firefly() {
  return std::make_unique<Firefly>();
}

}  // namespace reel::providers

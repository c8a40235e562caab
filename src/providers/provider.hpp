#pragma once
// What one hosted provider's adapter supplies to the shared engine (call_engine.cpp): how
// to map a call onto its request, how to read its task statuses, where its cancel
// endpoint is. Everything that is the same for every provider — retries, polling,
// cancellation, resuming, downloading and validating — is the engine's.
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "providers/curl_http.hpp"
#include "providers/model_table.hpp"
#include "reel/core/error.hpp"
#include "reel/core/json.hpp"
#include "reel/model/task.hpp"

namespace reel::providers {

// A call in reel's common terms. Adapters map these onto their own fields, refusing
// values the provider does not take (InvalidInput naming the allowed ones) before any
// request; `provider_input` is passed through verbatim and wins.
struct CallInput {
  model::Task task = model::Task::text_to_image;
  std::string model;  // the provider's own model name ("fal-ai/flux/dev")
  std::string prompt, negative_prompt;
  std::string image_data_uri;  // image_to_video: the still as a PNG data URI
  double duration_seconds = 0, fps = 0;
  int width = 0, height = 0;  // 0 = the provider's default
  std::uint64_t seed = 0;
  Json provider_input = Json::object();
  const ModelRow* row = nullptr;  // the table's mapping rules; null = an unknown model
};

enum class TaskState { queued, running, succeeded, failed, canceled };

struct TaskStatus {
  TaskState state = TaskState::queued;
  double progress = -1;              // 0..1 when the provider says
  std::string message;               // the provider's words: queue position, error
  std::vector<std::string> outputs;  // result file URLs, when succeeded
  std::optional<double> billed_usd;  // what the provider says it charged
  // A status that only says "done": the outcome is Provider::result's answer.
  bool needs_result = false;
};

// The key material a provider needs (values never leave the adapter's headers).
struct Credentials {
  std::vector<std::string> values;  // in the order of Provider::key_vars()
  // The short-lived access token the engine obtained with the keys (Provider::
  // token_request), or "": a secret like them, redacted like them.
  std::string token;
};

// A token-exchange answer read: the token and how long it is valid.
struct AccessToken {
  std::string value;
  std::chrono::seconds lifetime{0};
};

class Provider {
 public:
  virtual ~Provider() = default;
  virtual std::string name() const = 0;  // id prefix: "fal"
  virtual std::vector<std::string> key_vars() const = 0;
  virtual std::string default_base_url() const = 0;
  // A synchronous API: the submission's answer is the outcome, read by status_of (with
  // an empty task) — no task, no pending-call record, no polling. Such a call cannot be
  // resumed: a run killed mid-request pays again when re-run.
  virtual bool synchronous() const { return false; }
  // The documented polling interval (the engine backs off from it, with jitter).
  virtual std::chrono::milliseconds poll_interval() const { return std::chrono::seconds(1); }

  virtual HttpRequest submit(const std::string& base, const CallInput& in,
                             const Credentials& keys) const = 0;
  // An API that is called with a short-lived token obtained with the keys (Firefly's
  // OAuth server-to-server credentials): the token request, nullopt for none. The
  // engine keeps a token in this process's memory while it is valid — never on disk —
  // and passes it in Credentials::token.
  virtual std::optional<HttpRequest> token_request(const std::string& /*base*/,
                                                   const Credentials& /*keys*/) const {
    return std::nullopt;
  }
  virtual AccessToken token_of(const HttpResponse& r) const;

  // The task reference kept in the pending-call record (ids and URLs; no secrets).
  virtual Json task_of(const CallInput& in, const HttpResponse& submitted) const = 0;
  virtual HttpRequest poll(const std::string& base, const Json& task,
                           const Credentials& keys) const = 0;
  virtual TaskStatus status_of(const Json& task, const HttpResponse& polled) const = 0;
  // After TaskStatus::needs_result: the request for the outcome and how to read it.
  virtual HttpRequest result(const std::string& base, const Json& task,
                             const Credentials& keys) const {
    return poll(base, task, keys);
  }
  virtual TaskStatus result_of(const Json& task, const HttpResponse& fetched) const {
    return status_of(task, fetched);
  }
  virtual std::optional<HttpRequest> cancel(const std::string& base, const Json& task,
                                            const Credentials& keys) const = 0;
  // Whether a status answer says the provider no longer has the task (its retention
  // passed): a resumed call then submits anew, once. Most answer 404; some answer 200
  // with a status word of their own.
  virtual bool task_forgotten(const HttpResponse& polled) const { return polled.status == 404; }
  // The request for a result file. Most providers' result URLs are signed and need no
  // key; an adapter whose files need one adds it here, for its own host only. The engine
  // asks again for every redirect it is sent, so a key never follows one elsewhere.
  virtual HttpRequest download(const std::string& base, const std::string& url,
                               const Credentials& keys) const;
  // The provider's own error message in an error answer ("" when there is none).
  virtual std::string error_message(const HttpResponse& r) const;
};

// Runs one of an adapter's readers of a provider's answer (task_of, status_of, ...). The
// answer is untrusted bytes: a shape the reader does not expect (a number where a string
// was documented, a missing member) becomes Error(Io) naming the provider and what it was
// reading, never another exception.
template <class Fn>
decltype(auto) read_answer(const Provider& p, const char* what, Fn&& fn) {
  try {
    return fn();
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Error(ErrorKind::Io,
                p.name() + " answered " + what + " in a shape reel does not read: " + e.what());
  }
}

// fal, replicate, ... by name; nullptr when unknown.
const Provider* find_provider(const std::string& name);
const std::vector<std::unique_ptr<Provider>>& all_providers();

// The fields most providers name alike — prompt, negative_prompt, seed, the image under
// `image_field`, and duration / size by the row's rules — with provider_input on top.
// Values the row does not allow are InvalidInput naming the allowed ones. `notes` gets
// what could not be mapped for a model the table does not know.
Json map_common_input(const CallInput& in, const std::string& image_field,
                      std::vector<std::string>* notes = nullptr);

// The row's duration rule applied to the call: the value to send (null when the row has
// none or the task makes no clip); InvalidInput naming the allowed lengths otherwise.
Json duration_value(const CallInput& in);
// params.provider_input laid over `body` (the user's word wins); InvalidInput unless a
// mapping.
void merge_provider_input(Json& body, const CallInput& in);
// width x height as one of the row's "W:H" aspect ratios (1280x720 is "16:9", 2100x900
// "21:9"); the reduced ratio for a model without any; InvalidInput naming them otherwise.
// Both sides must be positive.
std::string aspect_ratio_of(const CallInput& in, const std::string& id);
// width and height joined by `separator` ("1280*720", "1024x1024"), which must be one of
// the row's sizes when it lists any; InvalidInput naming them otherwise.
std::string listed_size_of(const CallInput& in, const std::string& id,
                           const std::string& separator);
// "a, b, c": allowed values for an error message.
std::string join(const std::vector<std::string>& values);

// Shared by adapters: "Bearer <v>" style headers and the JSON content type.
HeaderList json_headers(HeaderList auth);
// The task reference {"id": …} from a submission's answer whose `field` names the task;
// Io "<provider> accepted the request but sent no <field>" when it does not.
Json task_id_of(const HttpResponse& r, const std::string& provider, const char* field = "id");
// The string at a JSON pointer ("/video/url"), or "" when absent.
std::string json_string(const Json& j, const char* pointer);
// The URL to call for an absolute task URL a provider sent (a polling or cancel URL):
// as given when it is https on `domain` or a host under it; with its scheme and host
// replaced by the base's when the base URL was overridden (a proxy, a test double);
// Io otherwise, since the key would go to a host the provider does not own.
std::string provider_url(const std::string& base, const std::string& default_base,
                         const std::string& given, const std::string& domain,
                         const std::string& provider);

}  // namespace reel::providers

// What adapters share: headers, JSON reading, the error text of an answer, the list.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "providers/provider.hpp"
#include "providers/provider_list.hpp"
#include "reel/core/error.hpp"

namespace reel::providers {

HeaderList json_headers(HeaderList auth) {
  auth.emplace_back("Content-Type", "application/json");
  auth.emplace_back("Accept", "application/json");
  auth.emplace_back("User-Agent", "reel");
  return auth;
}

std::string json_string(const Json& j, const char* pointer) {
  try {
    const Json& v = j.at(Json::json_pointer(pointer));
    return v.is_string() ? v.get<std::string>() : "";
  } catch (const std::exception&) {
    return "";
  }
}

Json task_id_of(const HttpResponse& r, const std::string& provider, const char* field) {
  const Json j = Json::parse(r.body, nullptr, false);
  const std::string id = j.is_object() ? j.value(field, std::string()) : "";
  if (id.empty())
    throw Error(ErrorKind::Io, provider + " accepted the request but sent no " + field);
  return {{"id", id}};
}

AccessToken Provider::token_of(const HttpResponse&) const {
  throw Error(ErrorKind::Internal, name() + " asks for no access token");
}

namespace {

// "https://host:port" of an absolute URL, and the rest ("/v1/get_result?id=...").
std::pair<std::string, std::string> split_origin(const std::string& url) {
  const auto scheme = url.find("://");
  if (scheme == std::string::npos) return {"", url};
  const auto path = url.find('/', scheme + 3);
  if (path == std::string::npos) return {url, "/"};
  return {url.substr(0, path), url.substr(path)};
}

bool host_under(const std::string& host, const std::string& domain) {
  const std::string suffix = "." + domain;
  return host == domain || (host.size() > suffix.size() &&
                            host.compare(host.size() - suffix.size(), suffix.size(), suffix) == 0);
}

}  // namespace

std::string provider_url(const std::string& base, const std::string& default_base,
                         const std::string& given, const std::string& domain,
                         const std::string& provider) {
  auto [origin, rest] = split_origin(given);
  if (base != default_base) return base + rest;
  if (origin.rfind("https://", 0) != 0 || !host_under(url_host(given), domain))
    throw Error(ErrorKind::Io, provider + " sent a task URL on " + url_host(given) + ", not a " +
                                   domain + " host over https; the key is not sent there");
  return given;
}

HttpRequest Provider::download(const std::string&, const std::string& url,
                               const Credentials&) const {
  return {"GET", url, {}, ""};
}

std::string Provider::error_message(const HttpResponse& r) const {
  Json j = Json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return "";
  for (const char* key : {"detail", "error", "message", "title"}) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) continue;
    if (it->is_string()) return it->get<std::string>();
    if (it->is_object())
      if (auto m = it->find("message"); m != it->end() && m->is_string()) return *m;
    if (it->is_array() && !it->empty()) {
      const Json& first = it->front();
      if (first.is_object() && first.contains("msg") && first["msg"].is_string())
        return first["msg"].get<std::string>();
    }
    return it->dump().substr(0, 300);
  }
  return "";
}

const std::vector<std::unique_ptr<Provider>>& all_providers() {
  static const std::vector<std::unique_ptr<Provider>> list = [] {
    std::vector<std::unique_ptr<Provider>> v;
    v.push_back(make_fal());
    v.push_back(make_replicate());
    v.push_back(make_runway());
    v.push_back(make_bfl());
    v.push_back(make_luma());
    v.push_back(make_kling());
    v.push_back(make_dashscope());
    v.push_back(make_veo());
    v.push_back(make_openai());
    v.push_back(make_bria());
    v.push_back(make_firefly());
    return v;
  }();
  return list;
}

const Provider* find_provider(const std::string& name) {
  for (const auto& p : all_providers())
    if (p->name() == name) return p.get();
  return nullptr;
}

}  // namespace reel::providers

namespace reel::providers {

Json duration_value(const CallInput& in) {
  if (in.task == model::Task::text_to_image || !in.row || !in.row->duration) return Json();
  const DurationRule& d = *in.row->duration;
  const long asked = std::lround(in.duration_seconds);
  std::string allowed;
  for (int s : d.seconds) allowed += (allowed.empty() ? "" : ", ") + std::to_string(s);
  if (std::find(d.seconds.begin(), d.seconds.end(), asked) == d.seconds.end())
    throw Error(ErrorKind::InvalidInput, in.row->id() + " makes clips of " + allowed + " s; " +
                                             std::to_string(in.duration_seconds) +
                                             " s was asked (set duration to one of them)");
  if (d.as_string || !d.suffix.empty()) return std::to_string(asked) + d.suffix;
  return asked;
}

void merge_provider_input(Json& body, const CallInput& in) {
  if (!in.provider_input.is_object())
    throw Error(ErrorKind::InvalidInput,
                (in.row ? in.row->id() : in.model) + ": params.provider_input must be a mapping");
  for (const auto& [k, v] : in.provider_input.items()) body[k] = v;  // the user's word wins
}

std::string join(const std::vector<std::string>& values) {
  std::string out;
  for (const auto& v : values) out += (out.empty() ? "" : ", ") + v;
  return out;
}

Json map_common_input(const CallInput& in, const std::string& image_field,
                      std::vector<std::string>* notes) {
  Json j = Json::object();
  const std::string id = in.row ? in.row->id() : in.model;
  if (!in.prompt.empty()) j["prompt"] = in.prompt;
  if (!in.negative_prompt.empty()) j["negative_prompt"] = in.negative_prompt;
  j["seed"] = in.seed;
  if (!in.image_data_uri.empty()) j[in.row ? in.row->image_field : image_field] = in.image_data_uri;
  const bool video = in.task != model::Task::text_to_image;
  if (Json d = duration_value(in); !d.is_null()) {
    j[in.row->duration->field] = d;
  } else if (video && notes && !in.row) {
    notes->push_back(id + " is not in reel's model table: duration and size were not sent " +
                     "(pass the provider's own fields in params.provider_input)");
  }
  if (in.row && !in.row->size_field.empty() && in.width > 0 && in.height > 0)
    j[in.row->size_field] = {{"width", in.width}, {"height", in.height}};
  merge_provider_input(j, in);
  return j;
}

// Compared as ratios, since "21:9" is not in lowest terms.
std::string aspect_ratio_of(const CallInput& in, const std::string& id) {
  const int g = std::gcd(in.width, in.height);
  const std::string reduced = std::to_string(in.width / g) + ":" + std::to_string(in.height / g);
  if (!in.row || in.row->ratios.empty()) return reduced;
  for (const auto& r : in.row->ratios) {
    const auto colon = r.find(':');
    const long a = std::stol(r.substr(0, colon)), b = std::stol(r.substr(colon + 1));
    if (long(in.width) * b == long(in.height) * a) return r;
  }
  throw Error(ErrorKind::InvalidInput, id + " makes the aspect ratios " + join(in.row->ratios) +
                                           "; " + std::to_string(in.width) + "x" +
                                           std::to_string(in.height) + " is " + reduced +
                                           " (set width and height to one of them)");
}

std::string listed_size_of(const CallInput& in, const std::string& id,
                           const std::string& separator) {
  const std::string asked = std::to_string(in.width) + separator + std::to_string(in.height);
  if (!in.row || in.row->ratios.empty() ||
      std::find(in.row->ratios.begin(), in.row->ratios.end(), asked) != in.row->ratios.end())
    return asked;
  throw Error(ErrorKind::InvalidInput, id + " makes the sizes " + join(in.row->ratios) + "; " +
                                           std::to_string(in.width) + "x" +
                                           std::to_string(in.height) +
                                           " was asked (set width and height to one of them)");
}

}  // namespace reel::providers

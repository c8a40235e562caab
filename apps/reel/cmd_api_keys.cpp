// `reel keys create|list|set|revoke|audit`: the API keys of `reel serve` (docs/api.md,
// docs/server.md "Key store"). Every change is written to the key store's audit log with
// this OS user and host as the actor.
#include <cmath>
#include <cstdio>
#include <ctime>

#include "args.hpp"
#include "commands.hpp"
#include "reel/core/error.hpp"
#include "reel/server/key_revoke.hpp"
#include "reel/server/stores.hpp"

namespace reel::cli {
namespace {

double parse_number(const std::string& text, const std::string& what, double lo, double hi) {
  std::size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (...) {
    used = 0;
  }
  if (used != text.size() || !std::isfinite(v) || v < lo || v > hi)
    throw Error(ErrorKind::InvalidInput, what + " must be a number in " + std::to_string(lo) +
                                             ".." + std::to_string(hi) + ", got '" + text + "'");
  return v;
}

// "none" clears a key's default policy; anything else is checked by the store.
std::string parse_policy(const std::string& text) {
  return text == "none" ? "" : text;
}

// The audit log names the store's default actor, this OS user at this host.
server::ServerStores open_stores(const Args& a) {
  return server::open_server_stores(a.value("--store").value_or(default_store()));
}

int keys_create(const Argv& rest) {
  Args a(rest, {"--json"},
         {"--store", "--name", "--budget", "--max-concurrent", "--rate", "--max-width",
          "--max-height", "--max-frames", "--max-duration", "--policy"});
  a.max_positional(0, "reel keys create --store URL [--name N] [--budget USD] ...");
  server::ApiKey spec;
  spec.name = a.value("--name").value_or("");
  if (auto v = a.value("--budget")) spec.budget_usd = parse_number(*v, "--budget", 0, 1e9);
  if (auto v = a.value("--max-concurrent"))
    spec.max_concurrent = int(parse_integer(*v, "--max-concurrent", 1, 100000));
  if (auto v = a.value("--rate"))
    spec.rate_per_minute = int(parse_integer(*v, "--rate", 1, 10'000'000));
  if (auto v = a.value("--max-width"))
    spec.max_width = int(parse_integer(*v, "--max-width", 16, 7680));
  if (auto v = a.value("--max-height"))
    spec.max_height = int(parse_integer(*v, "--max-height", 16, 7680));
  if (auto v = a.value("--max-frames"))
    spec.max_frames = int(parse_integer(*v, "--max-frames", 1, 4800));
  if (auto v = a.value("--max-duration"))
    spec.max_duration_s = parse_number(*v, "--max-duration", 0.04, 120);
  if (auto v = a.value("--policy")) spec.policy = parse_policy(*v);
  auto stores = open_stores(a);
  auto [key, secret] = stores.keys->create(spec);
  if (a.flag("--json")) {
    Json j = server::key_json(key);
    j["secret"] = secret;
    print_json(j.dump());
  } else {
    std::printf("%s\n", secret.c_str());
    std::fprintf(stderr, "key %s created; the secret above is shown only once\n", key.id.c_str());
  }
  return 0;
}

int keys_list(const Argv& rest) {
  Args a(rest, {"--json"}, {"--store"});
  a.max_positional(0, "reel keys list --store URL [--json]");
  auto stores = open_stores(a);
  Json list = Json::array();
  for (const auto& k : stores.keys->list()) list.push_back(server::key_json(k));
  if (a.flag("--json")) {
    print_json(Json({{"keys", list}}).dump());
    return 0;
  }
  for (const auto& k : list)
    std::printf("%s  %-20s budget=%s spent=%.4f%s%s\n", k["id"].get<std::string>().c_str(),
                k["name"].get<std::string>().c_str(),
                k["budget_usd"].is_null() ? "unlimited" : k["budget_usd"].dump().c_str(),
                k["spent_usd"].get<double>(),
                k["policy"].is_null() ? "" : (" policy=" + k["policy"].get<std::string>()).c_str(),
                k["revoked"].get<bool>() ? " (revoked)" : "");
  return 0;
}

int keys_set(const Argv& rest) {
  Args a(rest, {"--json"}, {"--store", "--budget", "--policy", "--max-concurrent", "--rate"});
  const std::string usage =
      "reel keys set ID --store URL [--budget USD|unlimited] [--policy NAME|none] "
      "[--max-concurrent N] [--rate N]";
  a.max_positional(1, usage);
  const std::string& id = a.need(0, "the key id; usage: " + usage);
  server::KeyUpdate change;
  if (auto v = a.value("--budget"))
    change.budget_usd = *v == "unlimited" ? -1.0 : parse_number(*v, "--budget", 0, 1e9);
  if (auto v = a.value("--policy")) change.policy = parse_policy(*v);
  if (auto v = a.value("--max-concurrent"))
    change.max_concurrent = int(parse_integer(*v, "--max-concurrent", 1, 100000));
  if (auto v = a.value("--rate"))
    change.rate_per_minute = int(parse_integer(*v, "--rate", 1, 10'000'000));
  if (!change.budget_usd && !change.policy && !change.max_concurrent && !change.rate_per_minute)
    throw Error(ErrorKind::InvalidInput, "nothing to change; usage: " + usage);
  auto stores = open_stores(a);
  const server::ApiKey key = stores.keys->update(id, change);
  if (a.flag("--json"))
    print_json(server::key_json(key).dump());
  else
    std::printf("updated %s\n", id.c_str());
  return 0;
}

int keys_revoke(const Argv& rest) {
  Args a(rest, {"--json", "--cancel-running"}, {"--store"});
  a.max_positional(1, "reel keys revoke ID --store URL [--cancel-running]");
  const std::string& id = a.need(0, "the key id to revoke");
  auto stores = open_stores(a);
  const auto out = server::revoke_key(*stores.jobs, *stores.keys, id, a.flag("--cancel-running"));
  if (a.flag("--json")) {
    print_json(Json{{"id", id},
                    {"newly_revoked", out.newly_revoked},
                    {"queued_canceled", out.queued_canceled},
                    {"running_cancel_requested", out.running_cancel_asked}}
                   .dump());
  } else {
    std::printf("revoked %s%s: %d queued job(s) canceled", id.c_str(),
                out.newly_revoked ? "" : " (already revoked)", out.queued_canceled);
    if (a.flag("--cancel-running"))
      std::printf(", %d running job(s) asked to cancel", out.running_cancel_asked);
    std::printf("\n");
  }
  return 0;
}

int keys_audit(const Argv& rest) {
  Args a(rest, {"--json"}, {"--store", "--limit"});
  a.max_positional(1, "reel keys audit [ID] --store URL [--limit N] [--json]");
  const std::string id = a.positional().empty() ? "" : a.positional()[0];
  const auto limit =
      a.value("--limit") ? parse_integer(*a.value("--limit"), "--limit", 1, 1'000'000) : 1000;
  auto stores = open_stores(a);
  Json entries = Json::array();
  for (const auto& e : stores.keys->audit(id, static_cast<std::size_t>(limit)))
    entries.push_back({{"seq", e.seq},
                       {"at_ms", e.at_ms},
                       {"key_id", e.key_id},
                       {"action", e.action},
                       {"actor", e.actor},
                       {"detail", e.detail}});
  if (a.flag("--json")) {
    print_json(Json{{"entries", entries}}.dump());
    return 0;
  }
  for (const auto& e : entries) {
    const std::time_t t = static_cast<std::time_t>(e["at_ms"].get<std::int64_t>() / 1000);
    char when[32];
    std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
    std::printf("%s  %s  %-8s %s  %s\n", when, e["key_id"].get<std::string>().c_str(),
                e["action"].get<std::string>().c_str(), e["actor"].get<std::string>().c_str(),
                e["detail"].dump().c_str());
  }
  return 0;
}

}  // namespace

int cmd_api_keys(const Argv& args) {
  if (args.empty())
    throw Error(ErrorKind::InvalidInput,
                "reel keys: create, list, set, revoke or audit (reel --help)");
  const std::string sub = args[0];
  const Argv rest(args.begin() + 1, args.end());
  if (sub == "create") return keys_create(rest);
  if (sub == "list") return keys_list(rest);
  if (sub == "set") return keys_set(rest);
  if (sub == "revoke") return keys_revoke(rest);
  if (sub == "audit") return keys_audit(rest);
  throw Error(ErrorKind::InvalidInput, "reel keys " + sub +
                                           ": unknown; API keys: create, list, set, revoke, "
                                           "audit; signing: init");
}

}  // namespace reel::cli

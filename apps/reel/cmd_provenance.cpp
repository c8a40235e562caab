// Provenance commands: verify, keys.
#include <cstdio>

#include "args.hpp"
#include "commands.hpp"
#include "reel/core/error.hpp"
#include "reel/core/paths.hpp"
#include "reel/provenance/provenance.hpp"

namespace reel::cli {

int cmd_verify(const Argv& argv) {
  Args a(argv, {"--json"}, {}, {"--trust"});
  a.max_positional(1, "reel verify FILE [--trust ROOT.pem]... [--json]");
  std::filesystem::path file = a.need(0, "the file to verify");
  std::vector<std::filesystem::path> anchors;
  for (auto& t : a.values("--trust")) anchors.emplace_back(t);
  provenance::VerifyResult r = provenance::verify_file(file, anchors);
  if (a.flag("--json"))
    print_json(r.to_json().dump(2));
  else
    std::fputs(r.text().c_str(), stdout);
  // Unsigned is not the same finding as tampered: 11 says "nothing to check", 10 "broken".
  return r.valid ? 0 : r.no_credentials() ? 11 : 10;
}

int cmd_keys(const Argv& argv) {
  // API keys for `reel serve` share the command; signing identities are `keys init`.
  if (!argv.empty() && (argv[0] == "create" || argv[0] == "list" || argv[0] == "revoke"))
    return cmd_api_keys(argv);
  Args a(argv, {"--force", "--json"}, {"--dir"});
  a.max_positional(1, "reel keys init [--dir DIR] [--force]");
  const std::string& sub = a.need(0, "a keys command (init)");
  if (sub != "init")
    throw Error(ErrorKind::InvalidInput,
                "unknown keys command '" + sub + "'; allowed: init, create, list, revoke");
  std::filesystem::path dir =
      a.value("--dir") ? std::filesystem::path(*a.value("--dir")) : reel_home() / "keys";
  provenance::KeyPaths k = provenance::init_keys(dir, a.flag("--force"));
  if (a.flag("--json")) {
    print_json(Json{{"dir", k.dir.string()},
                    {"cert_chain", k.cert_chain_pem.string()},
                    {"root_ca", k.root_ca_pem.string()}}
                   .dump(2));
  } else {
    // The private key's path is shown; its contents never are.
    std::printf(
        "signing identity in %s\n  certificate chain: %s\n  test root CA: %s\n  key: %s (0600)\n",
        k.dir.string().c_str(), k.cert_chain_pem.string().c_str(), k.root_ca_pem.string().c_str(),
        k.key_pem.string().c_str());
  }
  return 0;
}

}  // namespace reel::cli

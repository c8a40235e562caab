#include "reel/provenance/provenance.hpp"

#include <algorithm>
#include <sstream>

#include "provenance/cose.hpp"
#include "provenance/embed.hpp"
#include "reel/core/atomic_file.hpp"
#include "reel/core/error.hpp"

namespace reel::provenance {

void sign_file(const std::filesystem::path& file, const ManifestFacts& facts,
               const SigningConfig& cfg) {
  with_context("signing " + file.string(), [&] {
    std::filesystem::path key = cfg.key_pem, chain = cfg.cert_chain_pem;
    if (key.empty() != chain.empty())
      throw Error(ErrorKind::InvalidInput,
                  "give both a signing key and a certificate chain, or neither");
    if (key.empty()) {
      const KeyPaths k = default_keys();
      key = k.key_pem;
      chain = k.cert_chain_pem;
    }
    Signer signer = Signer::from_pem(read_file(key, 1u << 20), read_file(chain, 16u << 20));
    signer.der_for_testing = cfg.ecdsa_der_for_testing;
    const std::string text = read_file(file, 8ull << 30);
    const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(text.data()),
                                              text.size());
    Bytes out;
    switch (detect_container(bytes)) {
      case Container::png:
        out = png_embed(bytes, facts, signer);
        break;
      case Container::bmff:
        out = bmff_embed(bytes, facts, signer);
        break;
      case Container::unknown:
        throw Error(ErrorKind::InvalidInput, "only PNG and MP4 files can be signed");
    }
    write_file_atomic(file, out);
  });
}

bool VerifyResult::no_credentials() const {
  return !valid && !summary.contains("manifest") &&
         std::find(status_codes.begin(), status_codes.end(), "claim.missing") != status_codes.end();
}

Json VerifyResult::to_json() const {
  Json j = summary;
  j["valid"] = valid;
  j["credentials"] = !no_credentials();
  j["trusted"] = trusted;
  j["status_codes"] = status_codes;
  j["failures"] = failures;
  return j;
}

std::string VerifyResult::text() const {
  std::ostringstream o;
  o << (summary.contains("file") ? summary["file"].get<std::string>() : std::string("file")) << ": "
    << (trusted            ? "Trusted"
        : valid            ? "Valid"
        : no_credentials() ? "no Content Credentials (the file carries no C2PA manifest)"
                           : "INVALID")
    << "\n";
  auto line = [&](const char* label, const std::string& v) {
    if (!v.empty()) o << "  " << label << ": " << v << "\n";
  };
  auto str = [&](const char* key) {
    return summary.contains(key) && summary[key].is_string() ? summary[key].get<std::string>()
                                                             : std::string();
  };
  line("title", str("title"));
  line("format", str("format"));
  line("signer",
       str("signer") + (str("signature_alg").empty() ? "" : " (" + str("signature_alg") + ")"));
  if (summary.contains("actions"))
    for (const auto& a : summary["actions"]) {
      std::string agent;
      if (a.contains("softwareAgent") && a["softwareAgent"].is_object())
        agent =
            a["softwareAgent"].value("name", "") + " " + a["softwareAgent"].value("version", "");
      line("action", a.value("action", "") + (agent.empty() ? "" : " by " + agent));
    }
  if (summary.contains("actions") && !summary["actions"].empty() &&
      summary["actions"][0].value("digitalSourceType", "").find("trainedAlgorithmicMedia") !=
          std::string::npos)
    line("source", "AI-generated (IPTC trainedAlgorithmicMedia)");
  if (summary.contains("training_mining") && summary["training_mining"].is_object()) {
    std::string uses, first;
    bool same = true;
    for (const auto& [use, v] : summary["training_mining"].items()) {
      const std::string value = v.is_object() ? v.value("use", "?") : "?";
      if (uses.empty()) first = value;
      same = same && value == first;
      uses += (uses.empty() ? "" : ", ") + use + "=" + value;
    }
    line("training/mining", same && !first.empty() ? first + " (all uses)" : uses);
  }
  if (summary.contains("models"))
    for (const auto& m : summary["models"])
      if (m.is_object())
        line("model", m.value("id", "") + " " + m.value("version", "") + " (licence " +
                          m.value("licence", "?") + ", training data " +
                          m.value("training_data", "?") + ")");
  if (summary.contains("ingredients"))
    for (const auto& i : summary["ingredients"])
      line("ingredient", i.value("title", "") + " [" + i.value("relationship", "") + "]" +
                             (i.value("has_manifest", false) ? " with its own manifest" : ""));
  if (summary.contains("cost") && !summary["cost"].empty()) line("cost", summary["cost"].dump());
  if (summary.contains("notes"))
    for (const auto& n : summary["notes"])
      if (n.is_string()) line("note", n.get<std::string>());
  if (summary.contains("status")) {
    int uri_matches = 0;
    for (const auto& s : summary["status"]) {
      const std::string code = s.value("code", "");
      if (code == "assertion.hashedURI.match") {
        ++uri_matches;
        continue;
      }
      const std::string why = s.value("explanation", "");
      if (code == "signingCredential.untrusted") {
        // Tolerated (the manifest stays Valid), as in c2pa-rs: say so instead of FAIL.
        o << "  note " << code << " - " << why << " (pass the issuing root as a trust anchor)\n";
        continue;
      }
      o << "  " << (s.value("kind", "") == "failure" ? "FAIL " : "ok   ") << code
        << (why.empty() ? "" : " - " + why) << "\n";
    }
    if (uri_matches > 0) o << "  ok   assertion.hashedURI.match x" << uri_matches << "\n";
  }
  return o.str();
}

}  // namespace reel::provenance

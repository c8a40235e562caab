// The Content Credentials a file already carries when it reaches reel (a hosted provider's
// signed output): found, parsed and validated once, on arrival, so the manifest reel
// writes later can carry them as its parent ingredient without the file's bytes.
#include "provenance/embed.hpp"
#include "reel/core/error.hpp"
#include "reel/core/hash.hpp"
#include "reel/provenance/jumbf.hpp"
#include "reel/provenance/provenance.hpp"

namespace reel::provenance {
namespace {
constexpr std::size_t kMaxSourceStore = 16u << 20;  // as much as a manifest may carry
}

std::optional<model::SourceCredentials> read_source_credentials(std::span<const std::uint8_t> file,
                                                                const std::string& title,
                                                                const std::string& format) {
  std::optional<StoreLocation> at;
  try {
    switch (detect_container(file)) {
      case Container::png:
        at = png_locate(file);
        break;
      case Container::bmff:
        at = bmff_locate(file);
        break;
      case Container::unknown:
        return std::nullopt;  // JPEG and others: not read (docs/provenance.md)
    }
    if (!at || at->store.empty() || at->store.size() > kMaxSourceStore) return std::nullopt;
    const JumbfBox parsed = jumbf_read(at->store);
    if (!parsed.has_type("c2pa") || parsed.children.empty()) return std::nullopt;
  } catch (const Error&) {
    return std::nullopt;  // a malformed store is not ours to repair: none is carried
  }
  model::SourceCredentials s;
  s.title = title;
  s.format = format;
  s.sha256 = to_hex(sha256(file));
  s.store.assign(at->store.begin(), at->store.end());
  const VerifyResult vr = verify_bytes(std::vector<std::uint8_t>(file.begin(), file.end()));
  s.status_codes = vr.status_codes;
  s.failures = vr.failures;
  return s;
}

Ingredient parent_ingredient(const model::SourceCredentials& source) {
  Ingredient ing;
  ing.title = source.title;
  ing.format = source.format;
  ing.relationship = "parentOf";
  ing.source = source;
  return ing;
}

}  // namespace reel::provenance

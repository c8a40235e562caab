// reel's own C2PA validator (spec §15): structure, claim signature and certificate
// profile, hashed URIs and the hard binding. Every problem in the file becomes a status
// code; nothing in a hostile file can make it throw, crash or allocate without bound.
#include <algorithm>

#include "provenance/certs.hpp"
#include "provenance/cose.hpp"
#include "provenance/embed.hpp"
#include "provenance/manifest.hpp"
#include "provenance/utf8.hpp"
#include "reel/core/atomic_file.hpp"
#include "reel/core/error.hpp"

namespace reel::provenance {
namespace {

constexpr std::size_t kMaxStore = 64u << 20;
constexpr std::uint64_t kMaxFile = 8ull << 30;

class Validation {
 public:
  Validation(std::span<const std::uint8_t> file, const std::vector<std::filesystem::path>& anchors)
      : file_(file), anchors_(anchors) {}

  VerifyResult run() {
    try {
      check();
    } catch (const Error& e) {
      fail("claim.malformed", e.message());
    } catch (const std::bad_alloc&) {
      fail("general.error", "out of memory while reading the manifest");
    } catch (const std::exception& e) {
      fail("general.error", e.what());
    }
    r_.valid = has("claimSignature.validated");
    for (const auto& f : r_.failures)
      if (f != "signingCredential.untrusted") r_.valid = false;
    r_.trusted = r_.valid && has("signingCredential.trusted");
    r_.summary["validation_state"] = r_.trusted ? "Trusted" : r_.valid ? "Valid" : "Invalid";
    r_.summary["status"] = log_;
    // Names and messages quote the file (labels, certificate names): keep them valid
    // UTF-8 so printing or dumping the result can never fail.
    r_.summary = sanitize_json(r_.summary);
    return r_;
  }

 private:
  bool has(const std::string& c) const {
    return std::find(codes_.begin(), codes_.end(), c) != codes_.end();
  }
  void add(const std::string& code, const std::string& kind, const std::string& why) {
    r_.status_codes.push_back(code);
    codes_.push_back(code);
    log_.push_back({{"code", code}, {"kind", kind}, {"explanation", why}});
  }
  void ok(const std::string& code, const std::string& why = "") { add(code, "success", why); }
  void info(const std::string& code, const std::string& why = "") {
    add(code, "informational", why);
  }
  void fail(const std::string& code, const std::string& why) {
    add(code, "failure", why);
    r_.failures.push_back(code);
  }

  void check() {
    // 1. Find the store in its container.
    std::optional<StoreLocation> loc;
    const Container kind = detect_container(file_);
    try {
      if (kind == Container::png)
        loc = png_locate(file_);
      else if (kind == Container::bmff)
        loc = bmff_locate(file_);
      else
        return fail("general.error", "not a PNG or MP4 file");
    } catch (const Error& e) {
      return fail("general.error", "container is malformed: " + e.message());
    }
    r_.summary["format"] = kind == Container::png ? "image/png" : "video/mp4";
    if (!loc) return fail("claim.missing", "the file carries no C2PA manifest store");
    if (loc->store.size() > kMaxStore)
      return fail("claim.malformed", "manifest store is larger than 64 MiB");
    store_ = loc->store;
    JumbfBox root;
    try {
      root = jumbf_read(store_);
    } catch (const Error& e) {
      return fail("claim.malformed", e.message());
    }
    if (!root.has_type("c2pa") || root.children.empty() || !root.children.back().is_super)
      return fail("claim.malformed", "the JUMBF is not a C2PA manifest store");
    const JumbfBox& manifest = root.children.back();  // the active manifest
    if (!manifest.has_type("c2ma"))
      return fail(
          "claim.malformed",
          "active manifest is not a standard manifest (update manifests are not supported)");
    r_.summary["manifest"] = manifest.label;
    r_.summary["manifests_in_store"] = root.children.size();

    // 2. Claim.
    const JumbfBox* claim_box = manifest.child("c2pa.claim.v2");
    // Box types are not covered by any hash, so they are checked, not assumed.
    if (!claim_box || !claim_box->has_type("c2cl") || !claim_box->first_content() ||
        claim_box->first_content()->content_type != "cbor")
      return fail("claim.missing", "manifest has no c2pa.claim.v2 box");
    const Bytes& claim_bytes = claim_box->first_content()->content;
    Cbor claim;
    try {
      claim = cbor_decode(claim_bytes);
    } catch (const Error& e) {
      return fail("claim.malformed", "claim is not valid CBOR: " + e.message());
    }
    for (const char* f : {"instanceID", "claim_generator_info", "signature", "created_assertions"})
      if (!claim.find(f))
        return fail("claim.malformed", std::string("claim lacks required field '") + f + "'");
    const Cbor* gen = claim.find("claim_generator_info");
    if (!gen->is_map() || !gen->find("name"))
      return fail("claim.malformed", "claim_generator_info must be a map with a name");
    r_.summary["claim_generator"] = cbor_to_json(*gen);
    if (const Cbor* t = claim.find("dc:title"); t && t->is_text())
      r_.summary["title"] = t->as_text();

    // 3. Signature and signing credential.
    check_signature(manifest, claim_bytes);

    // 4. Assertions by hashed URI, then the hard binding.
    const JumbfBox* assertions = manifest.child("c2pa.assertions");
    if (!assertions || !assertions->has_type("c2as"))
      return fail("claim.malformed", "manifest has no assertion store");
    std::vector<const JumbfBox*> referenced;
    for (const char* list : {"created_assertions", "gathered_assertions"}) {
      const Cbor* refs = claim.find(list);
      if (!refs) continue;
      for (const Cbor& ref : refs->as_array(list)) {
        if (const JumbfBox* b = resolve(ref, manifest, *assertions)) referenced.push_back(b);
      }
    }
    check_hard_binding(referenced);
    check_ingredients(referenced, root);
    summarise(referenced);
  }

  // An ingredient that carried its own manifest points at it (and its signature) with
  // absolute hashed URIs into this store (§18.15.11); those bytes must be unchanged.
  void check_ingredients(const std::vector<const JumbfBox*>& referenced, const JumbfBox& root) {
    for (const JumbfBox* b : referenced) {
      if (b->label.rfind("c2pa.ingredient", 0) != 0) continue;
      const JumbfBox* content = b->first_content();
      if (!content || content->content_type != "cbor") continue;
      Cbor ing;
      try {
        ing = cbor_decode(content->content);
      } catch (const Error& e) {
        fail("assertion.cbor.invalid", b->label + ": " + e.message());
        continue;
      }
      for (const auto& [field, what] : {std::pair{"activeManifest", "manifest"},
                                        std::pair{"claimSignature", "claimSignature"}}) {
        const Cbor* ref = ing.find(field);
        if (!ref) continue;
        const std::string code = std::string("ingredient.") + what;
        const Cbor* url = ref->find("url");
        const Cbor* hash = ref->find("hash");
        if (!url || !hash || !url->is_text() || !hash->is_bytes()) {
          fail(code + ".missing", b->label + ": " + field + " is not a hashed URI");
          continue;
        }
        const JumbfBox* target = find_absolute(root, url->as_text());
        if (!target) {
          fail(code + ".missing", b->label + ": " + url->as_text() + " is not in the store");
          continue;
        }
        const Sha256Digest h = sha256(store_.subspan(target->offset + 8, target->size - 8));
        if (std::equal(h.begin(), h.end(), hash->as_bytes().begin(), hash->as_bytes().end()))
          ok(code + ".validated", b->label + " -> " + url->as_text());
        else
          fail(code + ".mismatch", b->label + ": the carried " + what + " was changed");
      }
    }
  }

  // "self#jumbf=/c2pa/<manifest>[/<box>]" within the store.
  static const JumbfBox* find_absolute(const JumbfBox& root, const std::string& url) {
    const std::string prefix = "self#jumbf=/c2pa/";
    if (url.rfind(prefix, 0) != 0) return nullptr;
    const std::string path = url.substr(prefix.size());
    const std::size_t slash = path.find('/');
    const JumbfBox* manifest = root.child(path.substr(0, slash));
    if (!manifest || slash == std::string::npos) return manifest;
    return manifest->child(path.substr(slash + 1));
  }

  // Resolves a hashed URI to the assertion box and checks its hash.
  const JumbfBox* resolve(const Cbor& ref, const JumbfBox& manifest, const JumbfBox& assertions) {
    const Cbor* url = ref.find("url");
    const Cbor* hash = ref.find("hash");
    if (!url || !hash || !url->is_text() || !hash->is_bytes())
      return fail("claim.malformed", "hashed URI lacks url or hash"), nullptr;
    if (const Cbor* alg = ref.find("alg"); alg && !(alg->is_text() && alg->as_text() == "sha256"))
      return fail("algorithm.unsupported", "hashed URI algorithm is not sha256: " + url->as_text()),
             nullptr;
    std::string u = url->as_text();
    const std::string self = "self#jumbf=";
    if (u.rfind(self, 0) != 0)
      return fail("assertion.missing", "not a self#jumbf URI: " + u), nullptr;
    u = u.substr(self.size());
    const std::string abs_prefix = "/c2pa/" + manifest.label + "/";
    if (u.rfind(abs_prefix, 0) == 0)
      u = u.substr(abs_prefix.size());
    else if (!u.empty() && u[0] == '/')
      return fail("assertion.outsideManifest",
                  "assertion URI points outside the active manifest: " + u),
             nullptr;
    const std::string store_prefix = "c2pa.assertions/";
    if (u.rfind(store_prefix, 0) != 0 || u.find("..") != std::string::npos)
      return fail("assertion.missing", "not an assertion URI: " + url->as_text()), nullptr;
    const JumbfBox* box = assertions.child(u.substr(store_prefix.size()));
    if (!box) return fail("assertion.missing", "assertion not found: " + url->as_text()), nullptr;
    const Sha256Digest h = sha256(store_.subspan(box->offset + 8, box->size - 8));
    if (!std::equal(h.begin(), h.end(), hash->as_bytes().begin(), hash->as_bytes().end()))
      return fail("assertion.hashedURI.mismatch",
                  "hash of " + box->label + " does not match the claim"),
             nullptr;
    ok("assertion.hashedURI.match", box->label);
    return box;
  }

  void check_signature(const JumbfBox& manifest, const Bytes& claim_bytes) {
    const JumbfBox* sig_box = manifest.child("c2pa.signature");
    if (!sig_box || !sig_box->has_type("c2cs") || !sig_box->first_content() ||
        sig_box->first_content()->content_type != "cbor")
      return fail("claimSignature.missing", "manifest has no c2pa.signature box");
    CoseSign1 cose;
    try {
      cose = cose_parse(sig_box->first_content()->content);
    } catch (const Error& e) {
      return fail("claimSignature.mismatch",
                  "claim signature is not a valid COSE_Sign1: " + e.message());
    }
    std::vector<X509Ptr> chain;
    try {
      for (const auto& der : cose.x5chain) chain.push_back(x509_from_der(der));
    } catch (const Error& e) {
      return fail("signingCredential.invalid", e.message());
    }
    X509* leaf = chain.front().get();
    r_.summary["signer"] = x509_subject_cn(leaf);
    r_.summary["signature_alg"] = to_string(static_cast<CoseAlg>(cose.alg));
    if (std::string why = cert_profile_problem(leaf); !why.empty())
      fail("signingCredential.invalid", why);
    bool format_error = false;
    const std::string why = cose_verify(cose, claim_bytes, leaf, format_error);
    if (format_error) fail("signingCredential.invalid", why);
    if (why.empty())
      ok("claimSignature.validated", "claim signature valid");
    else
      fail("claimSignature.mismatch", why);
    if (cert_valid_now(leaf))
      ok("claimSignature.insideValidity", "signing certificate is within its validity period");
    else
      fail("signingCredential.expired",
           "signing certificate is outside its validity period (no time-stamp)");
    std::vector<X509Ptr> intermediates(std::make_move_iterator(chain.begin() + 1),
                                       std::make_move_iterator(chain.end()));
    const std::string trust = chain_problem(leaf, intermediates, anchors_);
    if (trust.empty())
      ok("signingCredential.trusted", "signing certificate chains to a trust anchor");
    else
      fail("signingCredential.untrusted", trust);
  }

  void check_hard_binding(const std::vector<const JumbfBox*>& referenced) {
    std::vector<const JumbfBox*> bindings;
    for (const JumbfBox* b : referenced)
      if (b->label == "c2pa.hash.data" || b->label.rfind("c2pa.hash.bmff", 0) == 0)
        bindings.push_back(b);
    if (bindings.empty())
      return fail("claim.hardBindings.missing", "the claim has no hard binding assertion");
    if (bindings.size() > 1)
      return fail("assertion.multipleHardBindings", "the claim has more than one hard binding");
    const JumbfBox& b = *bindings.front();
    const bool bmff = b.label != "c2pa.hash.data";
    const std::string code = bmff ? "assertion.bmffHash" : "assertion.dataHash";
    Cbor a;
    try {
      const JumbfBox* content = b.first_content();
      if (!content || content->content_type != "cbor")
        throw Error(ErrorKind::InvalidInput, "not a CBOR assertion");
      a = cbor_decode(content->content);
      if (const Cbor* alg = a.find("alg"); alg && alg->as_text("alg") != "sha256")
        return fail("algorithm.unsupported",
                    "hard binding algorithm " + alg->as_text() + " is not supported");
      const Cbor* hash = a.find("hash");
      if (!hash) throw Error(ErrorKind::InvalidInput, "hard binding has no hash");
      Sha256Digest got =
          bmff ? bmff_hash(file_, a.find("exclusions") ? *a.find("exclusions") : Cbor::array())
               : data_hash(a);
      const Bytes& want = hash->as_bytes("hash");
      if (std::equal(got.begin(), got.end(), want.begin(), want.end()))
        ok(code + ".match", b.label);
      else
        fail(code + ".mismatch", "the file's bytes do not match the hash in " + b.label);
    } catch (const Error& e) {
      fail(code + ".mismatch", b.label + " cannot be evaluated: " + e.message());
    }
  }

  Sha256Digest data_hash(const Cbor& a) {
    std::vector<std::pair<std::uint64_t, std::uint64_t>> ex;
    if (const Cbor* list = a.find("exclusions"))
      for (const Cbor& e : list->as_array("exclusions")) {
        const Cbor* s = e.find("start");
        const Cbor* l = e.find("length");
        if (!s || !l)
          throw Error(ErrorKind::InvalidInput, "data hash exclusion needs start and length");
        const std::int64_t start = s->as_int("start"), length = l->as_int("length");
        if (start < 0 || length < 0 || static_cast<std::uint64_t>(start) > file_.size() ||
            static_cast<std::uint64_t>(length) > file_.size() - static_cast<std::uint64_t>(start))
          throw Error(ErrorKind::InvalidInput, "data hash exclusion lies outside the file");
        ex.emplace_back(start, length);
      }
    std::sort(ex.begin(), ex.end());
    MdCtxPtr ctx(EVP_MD_CTX_new());
    EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
    std::uint64_t pos = 0;
    for (const auto& [start, length] : ex) {
      if (start < pos) throw Error(ErrorKind::InvalidInput, "data hash exclusions overlap");
      EVP_DigestUpdate(ctx.get(), file_.data() + pos, start - pos);
      pos = start + length;
    }
    EVP_DigestUpdate(ctx.get(), file_.data() + pos, file_.size() - pos);
    Sha256Digest d{};
    EVP_DigestFinal_ex(ctx.get(), d.data(), nullptr);
    return d;
  }

  // Readable facts for `reel verify`; read only from assertions whose hashes matched.
  void summarise(const std::vector<const JumbfBox*>& referenced) {
    Json ingredients = Json::array();
    for (const JumbfBox* b : referenced) {
      const JumbfBox* content = b->first_content();
      if (!content || content->content_type != "cbor") continue;
      Json j;
      try {
        j = cbor_to_json(cbor_decode(content->content));
      } catch (const Error&) {
        fail("assertion.cbor.invalid", b->label + " is not valid CBOR");
        continue;
      }
      if (b->label == "c2pa.actions.v2" || b->label == "c2pa.actions") {
        Json actions = Json::array();
        for (const auto& a : j.value("actions", Json::array())) {
          if (!a.is_object()) continue;
          Json s = {{"action", a.value("action", "")}};
          if (a.contains("softwareAgent")) s["softwareAgent"] = a["softwareAgent"];
          if (a.contains("digitalSourceType")) s["digitalSourceType"] = a["digitalSourceType"];
          actions.push_back(s);
        }
        r_.summary["actions"] = actions;
      } else if (b->label.rfind("c2pa.ingredient", 0) == 0 && j.is_object()) {
        ingredients.push_back({{"title", j.value("dc:title", "")},
                               {"format", j.value("dc:format", "")},
                               {"relationship", j.value("relationship", "")},
                               {"has_manifest", j.contains("activeManifest")}});
      } else if (b->label == "org.reel.models" && j.is_object()) {
        r_.summary["models"] = j.value("models", Json::array());
        r_.summary["notes"] = j.value("notes", Json::array());
      } else if (b->label == "org.reel.cost") {
        r_.summary["cost"] = j;
      } else if (b->label == "cawg.training-mining" && j.is_object()) {
        r_.summary["training_mining"] = j.value("entries", Json::object());
      }
    }
    r_.summary["ingredients"] = ingredients;
  }

  std::span<const std::uint8_t> file_;
  std::span<const std::uint8_t> store_;
  const std::vector<std::filesystem::path>& anchors_;
  VerifyResult r_;
  std::vector<std::string> codes_;
  Json log_ = Json::array();
};

}  // namespace

VerifyResult verify_bytes(const std::vector<std::uint8_t>& file,
                          const std::vector<std::filesystem::path>& trust_anchors) {
  // A missing anchor file is the caller's mistake, not a property of the file.
  for (const auto& a : trust_anchors)
    if (!std::filesystem::is_regular_file(a))
      throw Error(ErrorKind::NotFound, "trust anchor file " + a.string() + " does not exist");
  return Validation(file, trust_anchors).run();
}

VerifyResult verify_file(const std::filesystem::path& path,
                         const std::vector<std::filesystem::path>& trust_anchors) {
  const std::string text = read_file(path, kMaxFile);
  const std::vector<std::uint8_t> bytes(text.begin(), text.end());
  VerifyResult r = verify_bytes(bytes, trust_anchors);
  r.summary["file"] = path.filename().string();
  return r;
}

}  // namespace reel::provenance

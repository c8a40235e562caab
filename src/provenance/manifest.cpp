#include "provenance/manifest.hpp"

#include <algorithm>
#include <set>

#include "reel/core/error.hpp"
#include "reel/core/hash.hpp"

namespace reel::provenance {
namespace {

constexpr const char* kReelVersion = "0.1.0";
constexpr std::size_t kMaxCarriedBytes = 16u << 20;  // ingredients' manifests carried along

// UUID v4 layout from a digest, so a label is stable for the same asset and facts.
std::string uuid_from(const Sha256Digest& d) {
  std::array<std::uint8_t, 16> u{};
  std::copy(d.begin(), d.begin() + 16, u.begin());
  u[6] = static_cast<std::uint8_t>((u[6] & 0x0F) | 0x40);
  u[8] = static_cast<std::uint8_t>((u[8] & 0x3F) | 0x80);
  const std::string h = to_hex(u);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20);
}

Cbor agent(const model::ModelCard& card) {
  Cbor a = Cbor::map({{Cbor("name"), Cbor(card.name.empty() ? card.id : card.name)}});
  if (!card.version.empty()) a.set(Cbor("version"), Cbor(card.version));
  a.set(Cbor("org.reel.model_id"), Cbor(card.id));
  return a;
}

JumbfBox cbor_assertion_box(const std::string& label, const Cbor& value) {
  return JumbfBox::super("cbor", label, {JumbfBox::content_box("cbor", cbor_encode(value))});
}

Cbor status_list(const std::vector<std::string>& codes) {
  Cbor a = Cbor::array();
  for (const auto& c : codes) a.push(Cbor::map({{Cbor("code"), Cbor(c)}}));
  return a;
}

}  // namespace

Cbor hashed_uri(const std::string& url, std::span<const std::uint8_t> body) {
  const Sha256Digest h = sha256(body);
  return Cbor::map({{Cbor("url"), Cbor(url)}, {Cbor("hash"), Cbor::bytes(h)}});
}

ManifestWriter::ManifestWriter(const ManifestFacts& facts, const Signer& signer,
                               std::span<const std::uint8_t> seed)
    : signer_(signer), title_(facts.title) {
  facts_text_ = canonical_json(Json{{"title", facts.title}, {"cost", facts.cost}});
  set_seed(seed);

  // 1. Ingredients first: the actions reference them by hashed URI.
  std::vector<Cbor> parent_uris, input_uris, placed_uris;
  add_ingredients(facts, parent_uris, input_uris, placed_uris);
  // An output made from a file that has a parent (a provider's own signed file, which
  // reel decoded and re-encoded) is "opened" from it, not created anew (C2PA 2.x: a
  // parentOf ingredient goes with c2pa.opened); the model is its agent either way.
  // c2pa.opened names its parent alone (c2pa-rs: ingredientMismatch otherwise), so the
  // stills the model was conditioned on go to a c2pa.edited by the same model after it.
  const bool opened = !parent_uris.empty();

  // 2. Actions: the first model creates, later ones edit, placed stills are declared.
  Cbor actions = Cbor::array();
  model::ModelCard reel_card;
  reel_card.id = "reel";
  reel_card.name = "reel";
  reel_card.version = kReelVersion;
  for (std::size_t i = 0; i < std::max<std::size_t>(1, facts.models.size()); ++i) {
    const bool have = i < facts.models.size();
    const model::ModelCard& card = have ? facts.models[i].card : reel_card;
    auto action = [&](const char* name, const std::vector<Cbor>& ingredients,
                      const std::string& how) {
      Cbor act = Cbor::map({{Cbor("action"), Cbor(name)},
                            {Cbor("digitalSourceType"), Cbor(kTrainedAlgorithmicMedia)},
                            {Cbor("softwareAgent"), agent(card)}});
      Cbor params = Cbor::map();
      if (have && !facts.models[i].step_id.empty())
        params.set(Cbor("org.reel.step"), Cbor(facts.models[i].step_id));
      if (!ingredients.empty()) params.set(Cbor("ingredients"), Cbor::array(ingredients));
      if (!params.as_map().empty()) act.set(Cbor("parameters"), params);
      if (have)
        act.set(Cbor("description"),
                Cbor("step " + facts.models[i].step_id + ": " + card.id + how));
      actions.push(act);
    };
    if (i > 0) {
      action("c2pa.edited", {}, "");
    } else if (!opened) {
      action("c2pa.created", input_uris, "");
    } else {
      action("c2pa.opened", parent_uris, " (the file it returned)");
      if (!input_uris.empty()) action("c2pa.edited", input_uris, " (conditioned on these)");
    }
  }
  if (!placed_uris.empty())
    actions.push(Cbor::map(
        {{Cbor("action"), Cbor("c2pa.placed")},
         {Cbor("parameters"), Cbor::map({{Cbor("ingredients"), Cbor::array(placed_uris)}})}}));
  assertions_.insert(assertions_.begin(),
                     {"c2pa.actions.v2", Cbor::map({{Cbor("actions"), actions}})});

  // 3. What this output may be used for (CAWG training-and-data-mining v1.1).
  const std::string& use = facts.training_mining;
  if (use != "allowed" && use != "notAllowed" && use != "constrained")
    throw Error(ErrorKind::InvalidInput,
                "training_mining '" + use + "' is not one of: allowed, notAllowed, constrained");
  Cbor entries = Cbor::map();
  for (const char* k :
       {"cawg.data_mining", "cawg.ai_inference", "cawg.ai_training", "cawg.ai_generative_training"})
    entries.set(Cbor(k), Cbor::map({{Cbor("use"), Cbor(use)}}));
  assertions_.push_back({"cawg.training-mining", Cbor::map({{Cbor("entries"), entries}})});

  // 4. reel's own declarations: models with licence and training data, cost, notes.
  Json models = Json::array();
  for (const auto& m : facts.models) {
    models.push_back({{"step", m.step_id},
                      {"id", m.card.id},
                      {"version", m.card.version},
                      {"name", m.card.name},
                      {"publisher", m.card.publisher},
                      {"licence", m.card.licence},
                      {"training_data", model::to_string(m.card.training_data)},
                      {"training_data_note", m.card.training_data_note},
                      {"params", m.params.is_null() ? Json::object() : m.params}});
  }
  assertions_.push_back(
      {"org.reel.models", cbor_from_json(Json{{"models", models}, {"notes", facts.notes}})});
  assertions_.push_back(
      {"org.reel.cost", cbor_from_json(facts.cost.is_null() ? Json::object() : facts.cost)});

  signature_size_ = signer_.reserve_size();
}

void ManifestWriter::add_ingredients(const ManifestFacts& facts, std::vector<Cbor>& parent_uris,
                                     std::vector<Cbor>& input_uris,
                                     std::vector<Cbor>& placed_uris) {
  std::set<std::string> carried_labels;
  std::size_t carried_bytes = 0;
  for (std::size_t i = 0; i < facts.ingredients.size(); ++i) {
    const Ingredient& ing = facts.ingredients[i];
    if (ing.relationship != "inputTo" && ing.relationship != "componentOf" &&
        ing.relationship != "parentOf")
      throw Error(ErrorKind::InvalidInput, "ingredient relationship '" + ing.relationship +
                                               "' is not one of: inputTo, componentOf, parentOf");
    if (ing.relationship == "parentOf" && !ing.placed &&
        std::count_if(
            facts.ingredients.begin(), facts.ingredients.begin() + i,
            [](const Ingredient& o) { return o.relationship == "parentOf" && !o.placed; }))
      throw Error(ErrorKind::InvalidInput, "an asset has at most one parentOf ingredient");
    Cbor m = Cbor::map(
        {{Cbor("relationship"), Cbor(ing.placed ? std::string("componentOf") : ing.relationship)},
         {Cbor("dc:title"), Cbor(ing.title)},
         {Cbor("dc:format"), Cbor(ing.format)},
         {Cbor("instanceID"),
          Cbor("sha256:" + (ing.source ? ing.source->sha256 : to_hex(sha256(ing.data))))}});
    // An ingredient that carries its own manifest (e.g. a still reel signed) is kept
    // whole in our store, and referenced by hashed URIs (§11.1.4.5, §18.15.11).
    const Bytes store = ing.source ? Bytes(ing.source->store.begin(), ing.source->store.end())
                                   : png_find_store(ing.data);
    if (!store.empty() && carried_bytes + store.size() <= kMaxCarriedBytes) {
      try {
        const JumbfBox parsed = jumbf_read(store);
        if (parsed.has_type("c2pa") && !parsed.children.empty()) {
          VerifyResult vr;
          if (ing.source) {  // validated when it arrived: its bytes are gone
            vr.status_codes = ing.source->status_codes;
            vr.failures = ing.source->failures;
          } else {
            vr = verify_bytes(ing.data);
          }
          const JumbfBox& active = parsed.children.back();
          const JumbfBox* sig = active.child("c2pa.signature");
          for (const auto& man : parsed.children) {
            if (!man.is_super || !carried_labels.insert(man.label).second) continue;
            JumbfBox raw = man;
            raw.raw.assign(store.begin() + man.offset, store.begin() + man.offset + man.size);
            carried_.push_back(std::move(raw));
          }
          carried_bytes += store.size();
          const std::span<const std::uint8_t> sv(store);
          m.set(Cbor("activeManifest"), hashed_uri("self#jumbf=/c2pa/" + active.label,
                                                   sv.subspan(active.offset + 8, active.size - 8)));
          if (sig)
            m.set(Cbor("claimSignature"),
                  hashed_uri("self#jumbf=/c2pa/" + active.label + "/c2pa.signature",
                             sv.subspan(sig->offset + 8, sig->size - 8)));
          std::vector<std::string> ok, bad, info;
          for (const auto& c : vr.status_codes) {
            if (std::find(vr.failures.begin(), vr.failures.end(), c) != vr.failures.end())
              bad.push_back(c);
            else if (c.find("ocsp") != std::string::npos)
              info.push_back(c);
            else
              ok.push_back(c);
          }
          m.set(Cbor("validationResults"),
                Cbor::map(
                    {{Cbor("activeManifest"), Cbor::map({{Cbor("success"), status_list(ok)},
                                                         {Cbor("informational"), status_list(info)},
                                                         {Cbor("failure"), status_list(bad)}})}}));
        }
      } catch (const Error&) {
        // A malformed store in an ingredient is not ours to repair: the ingredient is
        // still described and hashed, just without its manifest.
      }
    }
    const std::string label =
        i == 0 ? "c2pa.ingredient.v3" : "c2pa.ingredient.v3__" + std::to_string(i);
    assertions_.push_back({label, m});
    const Bytes body = jumbf_write_body(cbor_assertion_box(label, m));
    Cbor uri = hashed_uri("self#jumbf=c2pa.assertions/" + label, body);
    if (ing.placed)
      placed_uris.push_back(uri);
    else if (ing.relationship == "parentOf")
      parent_uris.push_back(uri);
    else
      input_uris.push_back(uri);
  }
}

void ManifestWriter::set_seed(std::span<const std::uint8_t> seed) {
  Bytes seed_bytes(seed.begin(), seed.end());
  seed_bytes.insert(seed_bytes.end(), facts_text_.begin(), facts_text_.end());
  const Sha256Digest d = sha256(seed_bytes);
  label_ = "urn:c2pa:" + uuid_from(d);
  const Sha256Digest d2 = sha256(std::span<const std::uint8_t>(d.data(), d.size()));
  instance_id_ = "xmp:iid:" + uuid_from(d2);
}

Bytes ManifestWriter::store(const std::string& binding_label, const Cbor& binding,
                            bool sign) const {
  JumbfBox astore = JumbfBox::super("c2as", "c2pa.assertions");
  Cbor created = Cbor::array();
  auto add = [&](const std::string& label, const Cbor& value) {
    JumbfBox b = cbor_assertion_box(label, value);
    created.push(hashed_uri("self#jumbf=c2pa.assertions/" + label, jumbf_write_body(b)));
    astore.children.push_back(std::move(b));
  };
  for (const auto& a : assertions_) add(a.label, a.value);
  add(binding_label, binding);

  Cbor claim =
      Cbor::map({{Cbor("instanceID"), Cbor(instance_id_)},
                 {Cbor("claim_generator_info"),
                  Cbor::map({{Cbor("name"), Cbor("reel")}, {Cbor("version"), Cbor(kReelVersion)}})},
                 {Cbor("signature"), Cbor("self#jumbf=/c2pa/" + label_ + "/c2pa.signature")},
                 {Cbor("created_assertions"), created},
                 {Cbor("alg"), Cbor("sha256")}});
  if (!title_.empty()) claim.set(Cbor("dc:title"), Cbor(title_));
  const Bytes claim_bytes = cbor_encode(claim);

  Bytes cose = sign ? cose_sign1(signer_, claim_bytes, signature_size_) : Bytes(signature_size_, 0);
  JumbfBox manifest = JumbfBox::super(
      "c2ma", label_,
      {std::move(astore),
       JumbfBox::super("c2cl", "c2pa.claim.v2", {JumbfBox::content_box("cbor", claim_bytes)}),
       JumbfBox::super("c2cs", "c2pa.signature",
                       {JumbfBox::content_box("cbor", std::move(cose))})});
  JumbfBox root = JumbfBox::super("c2pa", "c2pa", carried_);
  root.children.push_back(std::move(manifest));  // the active manifest is the last one
  return jumbf_write(root);
}

}  // namespace reel::provenance

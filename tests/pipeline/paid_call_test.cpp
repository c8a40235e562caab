// Paid calls (hosted providers): priced by the provider's rule or bill, never by the
// seconds spent waiting; the step's cache key and the pending-call record reach the
// model so a killed run resumes instead of paying twice.
#include <gtest/gtest.h>

#include <atomic>

#include "reel/core/error.hpp"
#include "reel/pipeline/executor.hpp"
#include "support/test_dirs.hpp"

namespace reel::pipeline {
namespace {

// A hosted text-to-image model as the executor sees one: a price rule per image, an
// optional bill, and a provider task id recorded before it "waits".
class PaidModel final : public model::TextToImage {
 public:
  PaidModel(std::string id, model::PricePer per, double usd) {
    card_.id = std::move(id);
    card_.version = "1";
    card_.tasks = {model::Task::text_to_image};
    card_.devices = {"cpu"};
    card_.price = {per, usd, "test"};
  }
  const model::ModelCard& card() const override { return card_; }
  std::optional<double> estimate_usd(const model::PlannedCall&) const override {
    if (card_.price.per == model::PricePer::unpriced) return std::nullopt;
    return card_.price.usd;
  }
  model::ImageResult generate(const model::TextToImageRequest& r, model::RunContext& ctx) override {
    seen_key = ctx.call_key;
    if (ctx.pending) {
      if (auto rec = ctx.pending->find_pending(ctx.call_key))
        resumed_task = rec->at("task").get<std::string>();
      else
        ctx.pending->put_pending(ctx.call_key, {{"task", "task-" + std::to_string(++submits)}});
    }
    if (die_after_submit) throw Error(ErrorKind::Cancelled, "killed while waiting");
    model::ImageResult out;
    out.image = media::Image(8, 8);
    out.billed_usd = bill;
    return out;
  }

  std::optional<double> bill;
  bool die_after_submit = false;
  int submits = 0;
  std::string seen_key, resumed_task;

 private:
  model::ModelCard card_;
};

Graph one_step(const std::string& model) {
  Graph g;
  g.name = "paid";
  g.seed = 1;
  g.steps.push_back({"still", model::Task::text_to_image, model, {}, {{"prompt", "a cup"}}, {}});
  g.output = "still";
  return g;
}

TEST(PaidCall, PlanAndLedgerUseThePriceRuleOrTheBillNotTheWaitingTime) {
  testing::TempDir dir;
  model::Registry registry;
  auto rule = std::make_shared<PaidModel>("paid-rule", model::PricePer::image, 0.04);
  auto billed = std::make_shared<PaidModel>("paid-billed", model::PricePer::image, 0.04);
  billed->bill = 0.035;
  registry.add(rule);
  registry.add(billed);
  ArtifactStore store(dir / "store");
  Executor ex(registry, store);

  RunPlan plan = ex.plan(one_step("paid-rule"));
  EXPECT_DOUBLE_EQ(plan.usd, 0.04);
  EXPECT_FALSE(plan.steps.at(0).unpriced);

  RunResult r = ex.run(one_step("paid-rule"));
  const StepCost& s = r.cost.steps.at(0);
  EXPECT_TRUE(s.paid);
  EXPECT_DOUBLE_EQ(s.usd.value, 0.04);
  EXPECT_EQ(s.device, "provider");
  EXPECT_DOUBLE_EQ(r.cost.compute_seconds().value, 0.0);  // waiting is not compute

  RunResult b = ex.run(one_step("paid-billed"));
  EXPECT_DOUBLE_EQ(b.cost.steps.at(0).usd.value, 0.035);  // the bill wins over the rule
  ASSERT_TRUE(b.cost.steps.at(0).price_rule_usd);
  EXPECT_DOUBLE_EQ(b.cost.steps.at(0).price_rule_usd->value, 0.04);
  const Json j = b.cost.to_json()["steps"][0];
  EXPECT_EQ(j["billed_usd"], 0.035);
  EXPECT_EQ(CostReport::from_json(b.cost.to_json()).steps.at(0).billed_usd->value, 0.035);

  // The second identical run is a cache hit that saved what the first one paid.
  RunResult again = ex.run(one_step("paid-billed"));
  EXPECT_TRUE(again.cost.steps.at(0).cached);
  EXPECT_DOUBLE_EQ(again.cost.steps.at(0).saved_usd.value, 0.035);
  EXPECT_EQ(billed->submits, 1);
}

TEST(PaidCall, AnUnpricedModelIsSaidSoInThePlanAndTheReport) {
  testing::TempDir dir;
  model::Registry registry;
  registry.add(std::make_shared<PaidModel>("paid-unknown", model::PricePer::unpriced, 0));
  ArtifactStore store(dir / "store");
  Executor ex(registry, store);
  RunPlan plan = ex.plan(one_step("paid-unknown"));
  EXPECT_TRUE(plan.steps.at(0).unpriced);
  EXPECT_NE(plan.to_text().find("UNPRICED"), std::string::npos);
  RunResult r = ex.run(one_step("paid-unknown"));
  EXPECT_TRUE(r.cost.steps.at(0).unpriced);
  EXPECT_NE(r.cost.to_text().find("UNPRICED"), std::string::npos);
}

TEST(PaidCall, AKilledRunResumesTheRecordedTaskAndTheRecordGoesOnceStored) {
  testing::TempDir dir;
  model::Registry registry;
  auto m = std::make_shared<PaidModel>("paid", model::PricePer::image, 0.04);
  registry.add(m);
  ArtifactStore store(dir / "store");
  Executor ex(registry, store);
  const std::string key = ex.plan(one_step("paid")).steps.at(0).key;

  m->die_after_submit = true;
  EXPECT_THROW(ex.run(one_step("paid")), Error);
  EXPECT_EQ(m->seen_key, key);  // the model is told its step's cache key
  ASSERT_TRUE(store.find_pending(key));
  {
    // Another process (the next `reel run`) sees the record too.
    ArtifactStore other(dir / "store");
    EXPECT_EQ(other.find_pending(key)->at("task"), "task-1");
  }

  m->die_after_submit = false;
  ex.run(one_step("paid"));
  EXPECT_EQ(m->submits, 1);               // no second submission
  EXPECT_EQ(m->resumed_task, "task-1");   // it waited on the same task
  EXPECT_FALSE(store.find_pending(key));  // stored: the record is gone, the cache answers
}

}  // namespace
}  // namespace reel::pipeline

#include "budget_watch.hpp"

#include <algorithm>
#include <cstdio>
#include <thread>

#include "reel/model/registry.hpp"

namespace reel::server {

BudgetWatch::BudgetWatch(const RunnerEnv& env, std::optional<JobCharge> charge)
    : env_(env), cores_(static_cast<int>(std::max(1u, std::thread::hardware_concurrency()))) {
  if (charge && charge->state == "reserved") {
    cap_usd_ = charge->cap_usd;
    reserved_usd_ = charge->reserved_usd;
  }
}

void BudgetWatch::on_event(const pipeline::Event& e) {
  using pipeline::EventKind;
  if (e.kind == EventKind::step_started) {
    Running r{Clock::now(), 0};
    if (auto m = env_.registry ? env_.registry->find(e.model) : nullptr) {
      const auto& card = m->card();
      // Same device rule as the executor: the card's first device, else the CPU.
      const std::string device = card.devices.empty() ? "cpu" : card.devices.front();
      if (!card.price.paid())
        r.usd_per_second = env_.prices.price(device, Seconds(1), cores_).value;
    }
    running_[e.step] = r;
  } else if (e.kind != EventKind::step_progress) {
    running_.erase(e.step);  // finished (its charge is in finished_usd), cached or failed
    // A step that finished in the instant of the stop is charged by its finished event.
    if (e.kind == EventKind::step_finished) interrupted_.erase(e.step);
  }
}

double BudgetWatch::running_usd(Clock::time_point at) const {
  double usd = 0;
  for (const auto& [step, r] : running_)
    usd += std::chrono::duration<double>(at - r.start).count() * r.usd_per_second;
  return usd;
}

bool BudgetWatch::over_cap(double finished_usd) {
  if (stopped_at_) return true;
  if (cap_usd_ < 0) return false;
  const auto now = Clock::now();
  if (finished_usd + running_usd(now) < cap_usd_) return false;
  stopped_at_ = now;
  // Kept now: the executor reports the interrupted steps as failed once they stop.
  for (const auto& [step, r] : running_)
    interrupted_[step] = std::chrono::duration<double>(now - r.start).count() * r.usd_per_second;
  return true;
}

double BudgetWatch::interrupted_usd() const {
  double usd = 0;
  for (const auto& [step, v] : interrupted_) usd += v;
  return usd;
}

std::string budget_exhausted_reason(double used_usd, const BudgetWatch& watch) {
  char buf[360];
  std::snprintf(buf, sizeof buf,
                "Budget: budget-exhausted: the job's measured spend $%.9f reached its cap $%.9f "
                "(its reservation $%.9f plus the tolerance: %g %%, at least $%g); it was "
                "stopped, its finished steps stay in the cache, and it is charged at most the cap",
                used_usd, watch.cap_usd(), watch.reserved_usd(), kJobOverrunFraction * 100,
                kJobOverrunFloorUsd);
  return buf;
}

}  // namespace reel::server

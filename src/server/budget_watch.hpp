#pragma once
// A running job's spend against its cap (key_store.hpp, job_spend_cap_usd), watched by the
// attempt's supervisor: the finished steps' charges as the executor reports them, plus
// each running step's elapsed time at its device's price (the price sheet the ledger
// uses), so a single long step is stopped while it runs, not after. Paid calls to hosted
// providers count when they finish (their price is per call, not per second). Used only
// from the supervisor thread.
#include <chrono>
#include <map>
#include <optional>
#include <string>

#include "job_runner.hpp"
#include "reel/server/key_store.hpp"

namespace reel::server {

class BudgetWatch {
 public:
  // `charge`: the job's reservation and cap; nullopt or a key without a budget (cap < 0)
  // means nothing to watch.
  BudgetWatch(const RunnerEnv& env, std::optional<JobCharge> charge);

  // The cores the ledger prices CPU time for: passed to the executor too, so the live
  // estimate and the settled cost agree.
  int cpu_cores() const { return cores_; }
  void on_event(const pipeline::Event& e);
  // True once finished_usd plus the running steps' cost so far reaches the cap; latched
  // (the time of the stop is kept for interrupted_usd).
  bool over_cap(double finished_usd);
  bool exhausted() const { return stopped_at_.has_value(); }
  // What the steps still running when the job was stopped had cost by then (0 before).
  double interrupted_usd() const;
  double cap_usd() const { return cap_usd_; }
  double reserved_usd() const { return reserved_usd_; }

 private:
  using Clock = std::chrono::steady_clock;
  struct Running {
    Clock::time_point start;
    double usd_per_second = 0;
  };
  double running_usd(Clock::time_point at) const;

  const RunnerEnv& env_;
  int cores_ = 1;
  double cap_usd_ = -1, reserved_usd_ = 0;
  std::map<std::string, Running> running_;     // by step id
  std::map<std::string, double> interrupted_;  // at the stop: step id → its cost so far
  std::optional<Clock::time_point> stopped_at_;
};

// The failed job's reason: "Budget: budget-exhausted: ..." with the amounts.
std::string budget_exhausted_reason(double used_usd, const BudgetWatch& watch);

}  // namespace reel::server

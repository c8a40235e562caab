// Every row filled and planned before anything renders: the same validation and
// pre-flight the executor runs (Executor::plan), so a row refused here is one `reel run`
// would refuse, and a row accepted here does not fail for a reason known up front.
#include <algorithm>
#include <map>

#include "reel/batch/batch.hpp"
#include "reel/batch/template.hpp"
#include "reel/core/error.hpp"
#include "reel/sdk/session.hpp"

namespace reel::batch {
namespace {

std::string join(const std::set<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// The template's name has a placeholder: it names each row's output by default.
std::string default_name_template(const pipeline::Graph& tmpl) {
  return tmpl.name.find("{{") != std::string::npos ? tmpl.name : "";
}

}  // namespace

PreparedBatch prepare_batch(sdk::Session& session, const pipeline::Graph& tmpl, const Rows& rows,
                            const BatchOptions& options) {
  const std::set<std::string> used = template_columns(tmpl);
  const std::string name_tmpl =
      options.name_template.empty() ? default_name_template(tmpl) : options.name_template;
  std::set<std::string> name_cols;
  with_context("--name", [&] {
    pipeline::Graph g;
    g.name = name_tmpl;
    name_cols = template_columns(g);
  });
  // A column no row can have (CSV: not in the header) is the batch's problem, not a row's.
  // JSONL rows name their own keys, so there a missing key is reported per row.
  if (!rows.columns.empty() || !rows.rows.empty()) {
    std::set<std::string> columns(rows.columns.begin(), rows.columns.end());
    std::set<std::string> missing;
    for (const auto& c : used)
      if (!columns.count(c)) missing.insert(c);
    for (const auto& c : name_cols)
      if (!columns.count(c)) missing.insert(c);
    if (!missing.empty() && !columns.empty())
      throw Error(ErrorKind::InvalidInput, "the pipeline names column(s) " + join(missing) +
                                               " that no row has; the rows have: " + join(columns));
  }

  PreparedBatch out;
  for (const auto& p : rows.problems) out.invalid.push_back({p.line, "", p.message});
  std::map<std::string, int> names;  // output name → line
  pipeline::Executor executor(session.registry(), session.store());
  const pipeline::RunOptions ro = session.run_options();
  for (const Row& row : rows.rows) {
    PreparedRow pr;
    pr.line = row.line;
    try {
      pr.key = name_tmpl.empty() ? std::to_string(row.line) : with_context("--name", [&] {
        return sanitize_name(fill_text(name_tmpl, row));
      });
      if (auto it = names.find(pr.key); it != names.end())
        throw Error(ErrorKind::InvalidInput,
                    "output name '" + pr.key + "' is also the name of the row on line " +
                        std::to_string(it->second) + "; names must be unique (--name)");
      names[pr.key] = row.line;
      pr.graph = fill_template(tmpl, row);
      pipeline::RunPlan plan = executor.plan(pr.graph, ro);
      for (const auto& s : plan.steps)
        if (!s.cached) {
          pr.step_keys.push_back(s.key);
          pr.step_usd.push_back(s.usd);
        }
      out.rows.push_back(std::move(pr));
    } catch (const Error& e) {
      out.invalid.push_back({row.line, pr.key, e.what()});
    }
  }
  std::sort(out.invalid.begin(), out.invalid.end(),
            [](const InvalidRow& a, const InvalidRow& b) { return a.line < b.line; });
  return out;
}

}  // namespace reel::batch

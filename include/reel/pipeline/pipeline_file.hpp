#pragma once
// Pipeline files: YAML or JSON, one schema (docs/pipelines.md). Parsing only checks
// the file's shape; validate() (graph.hpp) checks meaning against the registry.
#include <filesystem>
#include <string>
#include <string_view>

#include "reel/pipeline/graph.hpp"

namespace reel::pipeline {

enum class FileFormat { yaml, json, detect };

// Throws InvalidInput naming the file, the position where known, and what is allowed.
Graph parse_pipeline(std::string_view text, FileFormat format = FileFormat::detect,
                     const std::string& what = "pipeline");
Graph load_pipeline(const std::filesystem::path& path);

// Applies "step.param=value" (value parsed as YAML scalar/JSON: numbers, booleans,
// strings; "step.seed=N" and "step.model=ID" also work). Throws InvalidInput when
// the step does not exist or the text has no '=' / '.'.
void apply_override(Graph& graph, std::string_view assignment);

}  // namespace reel::pipeline

#pragma once
// Pipeline templates: `{{column}}` placeholders in a pipeline file's string params, its
// input references (`file:{{photo}}`) and its name, filled from one row
// (docs/pipelines.md, "Templates").
//
// Typing: a param whose whole value is one placeholder ("{{dur}}") and whose name is a
// numeric param (width, height, duration, fps, crf, x, y, scale) takes the cell as a
// number (an integer when it reads as one); every other placeholder is text substitution.
#include <set>
#include <string>

#include "reel/batch/rows.hpp"
#include "reel/pipeline/graph.hpp"

namespace reel::batch {

// The params whose whole-value placeholders become numbers.
const std::set<std::string>& numeric_params();

// The columns a template names, in every place placeholders are filled. InvalidInput for
// a malformed placeholder ("{{" without "}}", an empty or odd name), naming where it is.
std::set<std::string> template_columns(const pipeline::Graph& graph);

// Fills one text: every {{name}} replaced by the row's cell. InvalidInput naming the
// column when the row has no such cell.
std::string fill_text(const std::string& text, const Row& row);

// The pipeline for one row (the template is left as is). InvalidInput naming the column
// and the place for a missing cell, or a cell that must be a number and is not.
pipeline::Graph fill_template(const pipeline::Graph& graph, const Row& row);

// A file name from a filled --name template: letters, digits, '.', '_' and '-' kept, every
// other byte (and every "..") becomes '_', leading dots dropped, at most 120 bytes. No
// letter or digit left → InvalidInput.
std::string sanitize_name(const std::string& name);

}  // namespace reel::batch

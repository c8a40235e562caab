#pragma once
// One factory per adapter; all_providers() (provider_common.cpp) lists them. Adding a
// provider: its file, its factory here and in that list, its rows in model_table.cpp.
#include <memory>

#include "providers/provider.hpp"

namespace reel::providers {

std::unique_ptr<Provider> make_fal();        // fal.cpp
std::unique_ptr<Provider> make_replicate();  // replicate.cpp
std::unique_ptr<Provider> make_runway();     // runway.cpp
std::unique_ptr<Provider> make_bfl();        // bfl.cpp
std::unique_ptr<Provider> make_luma();       // luma.cpp
std::unique_ptr<Provider> make_kling();      // kling.cpp
std::unique_ptr<Provider> make_dashscope();  // dashscope.cpp
std::unique_ptr<Provider> make_veo();        // veo.cpp
std::unique_ptr<Provider> make_openai();     // openai.cpp
std::unique_ptr<Provider> make_bria();       // bria.cpp
std::unique_ptr<Provider> make_firefly();    // firefly.cpp

}  // namespace reel::providers

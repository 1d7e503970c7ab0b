#include "server/dashboard/dashboard_assets.h"

#include <string>
#include <unordered_map>

#include "server/dashboard/embedded_assets.h"

namespace tinyserve::dashboard {
namespace {

// Built once from the generated table; Asset views point into its literals.
const std::unordered_map<std::string_view, Asset>& AssetsByPath() {
  static const auto* const assets = [] {
    auto* map = new std::unordered_map<std::string_view, Asset>();
    for (const internal::EmbeddedAsset& a : internal::EmbeddedAssets()) {
      map->emplace(a.path, Asset{a.content_type, a.body});
    }
    return map;
  }();
  return *assets;
}

}  // namespace

const Asset* FindAsset(std::string_view path) {
  if (path == "/") path = "/index.html";
  const auto& assets = AssetsByPath();
  const auto it = assets.find(path);
  return it == assets.end() ? nullptr : &it->second;
}

}  // namespace tinyserve::dashboard

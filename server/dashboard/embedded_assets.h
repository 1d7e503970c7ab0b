// The dashboard's files as compiled into the binary; the table is generated at
// build time by embed_assets.cmake. Internal: the server uses FindAsset.
#ifndef TINYSERVE_SERVER_DASHBOARD_EMBEDDED_ASSETS_H_
#define TINYSERVE_SERVER_DASHBOARD_EMBEDDED_ASSETS_H_

#include <span>
#include <string_view>

namespace tinyserve::dashboard::internal {

struct EmbeddedAsset {
  std::string_view path;  // URL path, e.g. "/dashboard.js"
  std::string_view content_type;
  std::string_view body;
};

std::span<const EmbeddedAsset> EmbeddedAssets();

}  // namespace tinyserve::dashboard::internal

#endif  // TINYSERVE_SERVER_DASHBOARD_EMBEDDED_ASSETS_H_

// The live dashboard's static files (HTML, CSS, JS), embedded in the binary so
// the server needs no document root and the page loads nothing from outside.
// The page reads GET /api/v1/stats (docs/stats-api.md).
#ifndef TINYSERVE_SERVER_DASHBOARD_DASHBOARD_ASSETS_H_
#define TINYSERVE_SERVER_DASHBOARD_DASHBOARD_ASSETS_H_

#include <string_view>

namespace tinyserve::dashboard {

struct Asset {
  std::string_view content_type;
  std::string_view body;
};

// "/" and "/index.html" map to the page; nullptr when unknown.
const Asset* FindAsset(std::string_view path);

}  // namespace tinyserve::dashboard

#endif  // TINYSERVE_SERVER_DASHBOARD_DASHBOARD_ASSETS_H_

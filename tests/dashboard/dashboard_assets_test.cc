// The dashboard's files as embedded in the binary: the page and everything it
// loads are there, byte for byte, with the right Content-Type; nothing else is.
#include "server/dashboard/dashboard_assets.h"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace tinyserve::dashboard {
namespace {

std::string ReadSource(const std::string& name) {
  std::ifstream in(std::string(TINYSERVE_DASHBOARD_SOURCE_DIR) + "/" + name, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string ExpectedType(const std::string& path) {
  const std::string ext = std::filesystem::path(path).extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".js") return "text/javascript; charset=utf-8";
  if (ext == ".svg") return "image/svg+xml";
  return "?";
}

// Every same-server path the page loads: src/href="/..." in HTML, and
// imports ('./x.js') in JavaScript, followed from file to file.
std::set<std::string> PathsThePageLoads() {
  const std::regex html_ref(R"re((?:src|href)="(/[^"]*)")re");
  const std::regex js_import(R"re((?:from|import)\s*'\./([^']+)')re");
  std::set<std::string> seen;
  std::vector<std::string> todo = {"/index.html"};
  while (!todo.empty()) {
    const std::string path = todo.back();
    todo.pop_back();
    if (!seen.insert(path).second) continue;
    const Asset* asset = FindAsset(path);
    if (asset == nullptr) continue;  // reported by the caller
    const std::string body(asset->body);
    const bool html = path.ends_with(".html");
    const std::regex& ref = html ? html_ref : js_import;
    for (auto it = std::sregex_iterator(body.begin(), body.end(), ref); it != std::sregex_iterator();
         ++it) {
      // Appended, not "/" + str: GCC 12 warns (-Wrestrict) wrongly on that.
      std::string target = html ? "" : "/";
      target.append((*it)[1].str());
      // The page's data and the metrics are the server's, not files.
      if (target.starts_with("/api/") || target == "/metrics") continue;
      todo.push_back(target);
    }
  }
  return seen;
}

TEST(DashboardAssetsTest, RootAndIndexAreThePage) {
  const Asset* root = FindAsset("/");
  const Asset* index = FindAsset("/index.html");
  ASSERT_NE(root, nullptr);
  ASSERT_EQ(root, index);
  EXPECT_EQ(root->content_type, "text/html; charset=utf-8");
  EXPECT_NE(root->body.find("<title>tinyserve"), std::string_view::npos);
}

TEST(DashboardAssetsTest, EveryFileThePageLoadsIsEmbeddedWithItsType) {
  const std::set<std::string> paths = PathsThePageLoads();
  // The page, its stylesheet, icon, entry module and the modules it imports.
  EXPECT_GE(paths.size(), 6u);
  for (const std::string& path : paths) {
    const Asset* asset = FindAsset(path);
    ASSERT_NE(asset, nullptr) << path << " is loaded by the page but not embedded "
                              << "(server/dashboard/CMakeLists.txt lists the files)";
    EXPECT_EQ(asset->content_type, ExpectedType(path)) << path;
    EXPECT_FALSE(asset->body.empty()) << path;
  }
  EXPECT_TRUE(paths.count("/dashboard.js")) << "index.html no longer loads dashboard.js";
  EXPECT_TRUE(paths.count("/chart.js")) << "the charts module is not imported";
}

TEST(DashboardAssetsTest, EmbeddedBytesEqualTheSourceFiles) {
  // Non-ASCII text (µ, —, …) and every byte value must survive the hex step.
  for (const std::string name :
       {"index.html", "dashboard.css", "dashboard.js", "chart.js", "format.js", "stats.js",
        "cards.js", "devices.js", "idle.js", "favicon.svg"}) {
    const Asset* asset = FindAsset("/" + name);
    ASSERT_NE(asset, nullptr) << name;
    const std::string source = ReadSource(name);
    ASSERT_FALSE(source.empty()) << name;
    EXPECT_EQ(asset->body, source) << name << " differs from its source file";
  }
}

TEST(DashboardAssetsTest, UnknownPathsAreNotFound) {
  for (const char* path : {"", "index.html", "/index.htm", "/nope.js", "/index.html/",
                           "/../index.html", "//index.html", "/api/v1/stats", "/metrics",
                           "/embed_assets.cmake", "/CMakeLists.txt", "/dashboard_assets.h"}) {
    EXPECT_EQ(FindAsset(path), nullptr) << path;
  }
}

}  // namespace
}  // namespace tinyserve::dashboard

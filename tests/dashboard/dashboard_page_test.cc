// The dashboard end to end: a real tinyserve serves the page and its files on
// its HTTP port; after some Classify traffic, headless Chromium loads the
// page, and the DOM it builds must show every model × device and every
// device, and draw the traffic it was sent. Skipped without Chromium.
// Leaves a screenshot (dashboard.png) in the build tree for CI to keep.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/server/server_process.h"
#include "tests/support/run_command.h"

namespace tinyserve::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// --- HTTP with headers (the harness's HttpGet keeps only the body) ------------

struct RawResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

std::optional<RawResponse> Get(int port, const std::string& path) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return std::nullopt;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string raw;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    const std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (send(fd, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size())) {
      pollfd p{fd, POLLIN, 0};
      char buffer[8192];
      while (poll(&p, 1, 10000) > 0) {
        const ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
        if (n <= 0) break;
        raw.append(buffer, static_cast<size_t>(n));
      }
    }
  }
  close(fd);
  const size_t end = raw.find("\r\n\r\n");
  if (end == std::string::npos) return std::nullopt;
  RawResponse response;
  response.body = raw.substr(end + 4);
  std::istringstream head(raw.substr(0, end));
  std::string line;
  std::getline(head, line);
  std::istringstream status_line(line);
  std::string version;
  status_line >> version >> response.status;
  while (std::getline(head, line)) {
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    response.headers[absl::AsciiStrToLower(line.substr(0, colon))] =
        std::string(absl::StripAsciiWhitespace(line.substr(colon + 1)));
  }
  return response;
}

// --- Headless Chromium -------------------------------------------------------

// TINYSERVE_CHROMIUM, else chromium (Debian) or chromium-browser on PATH.
std::optional<std::string> FindChromium() {
  if (const char* env = std::getenv("TINYSERVE_CHROMIUM"); env != nullptr && *env != '\0') {
    return std::string(env);
  }
  for (const char* name : {"chromium", "chromium-browser"}) {
    const CommandResult r = RunCommand(std::string("command -v ") + name);
    const std::string path(absl::StripAsciiWhitespace(r.output));
    if (r.exit_code == 0 && !path.empty()) return path;
  }
  return std::nullopt;
}

std::string Quote(const std::string& s) { return "'" + s + "'"; }

// Runs headless Chromium on `url` with its own throwaway profile. Virtual
// time lets the page's timers run `budget_ms` ahead without the test waiting
// for them; `timeout` bounds the whole run if Chromium hangs.
CommandResult RunChromium(const std::string& chromium, const std::string& args,
                          const std::string& url, int budget_ms = 6000) {
  const std::string profile = TempPath("chromium-profile");
  const CommandResult r = RunCommand(
      "timeout 120 " + Quote(chromium) +
      " --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run"
      " --hide-scrollbars --user-data-dir=" + Quote(profile) +
      " --virtual-time-budget=" + std::to_string(budget_ms) + " " + args + " " + Quote(url));
  std::error_code ec;
  fs::remove_all(profile, ec);
  return r;
}

// --- Reading the DOM Chromium dumps -------------------------------------------

struct Element {
  std::string tag;
  std::map<std::string, std::string> attrs;
  // For elements inside an <svg>: that svg's attributes (charts do not nest).
  std::map<std::string, std::string> svg;

  std::string Attr(const std::string& name) const {
    auto it = attrs.find(name);
    return it == attrs.end() ? "" : it->second;
  }
  bool HasClass(const std::string& cls) const {
    std::istringstream classes(Attr("class"));
    std::string c;
    while (classes >> c) {
      if (c == cls) return true;
    }
    return false;
  }
  double Number(const std::string& name) const {
    const std::string v = Attr(name);
    return v.empty() ? -1 : std::atof(v.c_str());
  }
};

// Every start tag with its attributes, in document order. Chromium writes
// attributes double-quoted, so a regular expression is enough here.
std::vector<Element> StartTags(const std::string& html) {
  static const std::regex tag_re(R"re(<([a-zA-Z][\w-]*)((?:\s+[^\s=>/]+(?:="[^"]*")?)*)\s*/?>)re");
  static const std::regex attr_re(R"re(([^\s=]+)(?:="([^"]*)")?)re");
  std::vector<Element> elements;
  std::map<std::string, std::string> svg;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), tag_re);
       it != std::sregex_iterator(); ++it) {
    Element e;
    e.tag = absl::AsciiStrToLower((*it)[1].str());
    const std::string attrs = (*it)[2].str();
    for (auto a = std::sregex_iterator(attrs.begin(), attrs.end(), attr_re);
         a != std::sregex_iterator(); ++a) {
      e.attrs[(*a)[1].str()] = (*a)[2].str();
    }
    if (e.tag == "svg") svg = e.attrs;
    e.svg = svg;
    elements.push_back(std::move(e));
  }
  return elements;
}

const Element* FindElement(const std::vector<Element>& elements,
                           const std::map<std::string, std::string>& attrs,
                           const std::string& cls = "") {
  for (const Element& e : elements) {
    if (!cls.empty() && !e.HasClass(cls)) continue;
    bool all = true;
    for (const auto& [k, v] : attrs) all = all && e.Attr(k) == v;
    if (all) return &e;
  }
  return nullptr;
}

// --- The test fixture ----------------------------------------------------------

class DashboardPageTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto server = ServerProcess::Start(ServerConfig{});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = server->release();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  std::string Url(const std::string& path = "/") const {
    return absl::StrCat("http://127.0.0.1:", server_->http_port(), path);
  }

  static ServerProcess* server_;
};
ServerProcess* DashboardPageTest::server_ = nullptr;

TEST_F(DashboardPageTest, ServesThePageAndItsFiles) {
  for (const std::string path : {"/", "/index.html"}) {
    auto r = Get(server_->http_port(), path);
    ASSERT_TRUE(r.has_value()) << path;
    EXPECT_EQ(r->status, 200) << path;
    EXPECT_EQ(r->headers["content-type"], "text/html; charset=utf-8") << path;
    // The page changes with the binary: a browser must not keep an old one.
    EXPECT_NE(r->headers["cache-control"].find("no-"), std::string::npos) << path;
    EXPECT_NE(r->body.find("<title>tinyserve"), std::string::npos) << path;
  }
  auto js = Get(server_->http_port(), "/dashboard.js");
  ASSERT_TRUE(js.has_value());
  EXPECT_EQ(js->status, 200);
  EXPECT_EQ(js->headers["content-type"], "text/javascript; charset=utf-8");
  auto css = Get(server_->http_port(), "/dashboard.css");
  ASSERT_TRUE(css.has_value());
  EXPECT_EQ(css->headers["content-type"], "text/css; charset=utf-8");

  for (const std::string path : {"/nope.js", "/index.htm", "/../etc/passwd", "/CMakeLists.txt"}) {
    const auto r = Get(server_->http_port(), path);
    ASSERT_TRUE(r.has_value()) << path;
    EXPECT_EQ(r->status, 404) << path;
  }
  // The dashboard's catch-all route leaves the server's own routes alone.
  const auto metrics = Get(server_->http_port(), "/metrics");
  ASSERT_TRUE(metrics.has_value());
  EXPECT_EQ(metrics->status, 200);
  EXPECT_NE(metrics->body.find("tinyserve_device_up"), std::string::npos);
  auto stats = Get(server_->http_port(), "/api/v1/stats");
  ASSERT_TRUE(stats.has_value());
  EXPECT_EQ(stats->status, 200);
  EXPECT_EQ(stats->headers["content-type"].rfind("application/json", 0), 0u);
}

// Float inputs spread over the input tensor's range, off the quantization
// grid, so the server reports a finite input SQNR.
v1::ClassifyRequest FloatRequest(const v1::ModelMetadata& metadata, const std::string& device,
                                 int seed) {
  const v1::TensorSpec& input = metadata.inputs(0);
  size_t count = 1;
  for (int d : input.shape()) count *= static_cast<size_t>(d);
  const double scale = input.scale_size() > 0 ? input.scale(0) : 1.0;
  const double zero_point = input.zero_point_size() > 0 ? input.zero_point(0) : 0.0;
  v1::ClassifyRequest request;
  request.set_model(metadata.name());
  request.set_device(device);
  for (size_t i = 0; i < count; ++i) {
    const double q = -100 + static_cast<double>((i * 37 + seed * 11) % 200) + 0.3;
    request.mutable_float_input()->add_values(static_cast<float>(scale * (q - zero_point)));
  }
  return request;
}

// The /api/v1/stats series of (model, device), or null.
nlohmann::json FindSeries(const nlohmann::json& stats, const std::string& model,
                          const std::string& device) {
  for (const auto& s : stats["series"]) {
    if (s["model"] == model && s["device"] == device) return s;
  }
  return nullptr;
}

// Closed buckets of `series` (as the page draws them) with a value of `field`.
int ValuesIn(const nlohmann::json& stats, const nlohmann::json& series, const std::string& field) {
  const double now = stats["now_unix_ms"].get<double>();
  int n = 0;
  for (const auto& p : series["points"]) {
    if (p["t"].get<double>() + 1000 <= now && p.contains(field) && p[field].is_number()) ++n;
  }
  return n;
}

TEST_F(DashboardPageTest, ChromiumDrawsEveryModelDeviceAndTheTraffic) {
  const auto chromium = FindChromium();
  if (!chromium) {
    GTEST_SKIP() << "chromium not found (apt-get install chromium, or set TINYSERVE_CHROMIUM); "
                    "skipping the headless-browser check of the dashboard";
  }

  // Traffic: vww_96_int8 on its default device for ~2.5 s (several buckets),
  // float input so the SQNR chart has data too.
  const std::string model = "vww_96_int8";
  v1::ModelMetadata metadata;
  ASSERT_TRUE(GetModelMetadata(server_->inference(), model, 0, &metadata).ok());
  std::string device;
  const auto traffic_end = std::chrono::steady_clock::now() + 2500ms;
  int sent = 0;
  while (std::chrono::steady_clock::now() < traffic_end) {
    v1::ClassifyResponse response;
    const grpc::Status status =
        Classify(server_->inference(), FloatRequest(metadata, "", sent), &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    device = response.metrics().device();
    ++sent;
    std::this_thread::sleep_for(40ms);
  }
  ASSERT_FALSE(device.empty());

  // Wait until the statistics have closed buckets with latency for it, so a
  // failure below is the page's, not the stats API's.
  nlohmann::json stats;
  const auto stats_deadline = std::chrono::steady_clock::now() + 15s;
  for (;;) {
    auto r = HttpGet(server_->http_port(), "/api/v1/stats");
    ASSERT_TRUE(r.ok()) << r.status();
    stats = nlohmann::json::parse(r->body);
    const auto series = FindSeries(stats, model, device);
    if (!series.is_null() && ValuesIn(stats, series, "latency_p50_us") >= 2) break;
    ASSERT_LT(std::chrono::steady_clock::now(), stats_deadline)
        << "/api/v1/stats never showed latency for " << model << " on " << device << ":\n"
        << r->body.substr(0, 2000);
    std::this_thread::sleep_for(200ms);
  }

  const CommandResult dump = RunChromium(*chromium, "--window-size=1400,1000 --dump-dom", Url());
  ASSERT_EQ(dump.exit_code, 0) << dump.error.substr(0, 4000);
  const std::vector<Element> dom = StartTags(dump.output);
  ASSERT_FALSE(dom.empty()) << dump.error.substr(0, 4000);

  // The page ran, fetched the stats and drew them, without a script error.
  const Element* html = FindElement(dom, {}, "");
  ASSERT_NE(html, nullptr);
  ASSERT_EQ(html->tag, "html");
  EXPECT_EQ(html->Attr("data-connection"), "connected") << dump.output.substr(0, 3000);
  EXPECT_GE(html->Number("data-polls"), 1);
  EXPECT_EQ(html->attrs.count("data-js-error"), 0u) << html->Attr("data-js-error");

  // Every device has a status tile, with its state.
  v1::ListDevicesResponse devices;
  ASSERT_TRUE(ListDevices(server_->inference(), &devices).ok());
  ASSERT_GT(devices.devices_size(), 0);
  for (const auto& d : devices.devices()) {
    const Element* tile = FindElement(dom, {{"data-device", d.name()}}, "device-tile");
    ASSERT_NE(tile, nullptr) << "no status tile for device " << d.name();
    EXPECT_FALSE(tile->Attr("data-state").empty()) << d.name();
  }

  // Every loaded model version appears, and every series of the stats: a
  // card (with traffic) or a chip in the "no traffic yet" list.
  v1::ListModelsResponse models;
  ASSERT_TRUE(ListModels(server_->inference(), &models).ok());
  ASSERT_GT(models.models_size(), 0);
  for (const auto& m : models.models()) {
    EXPECT_NE(FindElement(dom, {{"data-model", m.name()}}), nullptr)
        << "model " << m.name() << " is not on the page";
  }
  for (const auto& s : stats["series"]) {
    const std::map<std::string, std::string> key = {
        {"data-model", s["model"].get<std::string>()},
        {"data-version", std::to_string(s["version"].get<int64_t>())},
        {"data-device", s["device"].get<std::string>()}};
    EXPECT_TRUE(FindElement(dom, key, "card") != nullptr ||
                FindElement(dom, key, "idle-series") != nullptr)
        << s["model"] << " v" << s["version"] << " on " << s["device"] << " is not on the page";
  }

  // The traffic is drawn: a card for the series, request rate above zero,
  // latency lines with points.
  const std::map<std::string, std::string> ours = {{"data-model", model}, {"data-device", device}};
  ASSERT_NE(FindElement(dom, ours, "card"), nullptr) << "no card for " << model << " on " << device;
  auto chart = [&](const std::string& metric) {
    auto attrs = ours;
    attrs["data-metric"] = metric;
    return FindElement(dom, attrs, "chart");
  };
  const Element* rate = chart("request_rate");
  ASSERT_NE(rate, nullptr);
  EXPECT_GT(rate->Number("data-points"), 0);
  EXPECT_GT(rate->Number("data-max"), 0) << "the request-rate chart drew no requests";
  const Element* latency = chart("latency_us");
  ASSERT_NE(latency, nullptr);
  EXPECT_GT(latency->Number("data-points"), 0) << "the latency chart drew no points";

  // Each line of this card's charts has points exactly when the stats have
  // values for its metric (they stay in the 120 s window the whole test).
  const auto series = FindSeries(stats, model, device);
  for (const std::string field : {"latency_p50_us", "latency_p99_us", "device_p50_us",
                                  "input_sqnr_db", "estimated_chip_us"}) {
    const int in_stats = ValuesIn(stats, series, field);
    int drawn = -1;
    for (const Element& e : dom) {
      if (e.tag == "path" && e.Attr("data-metric") == field &&
          e.svg.count("data-model") && e.svg.at("data-model") == model &&
          e.svg.at("data-device") == device) {
        drawn = std::max(drawn, static_cast<int>(e.Number("data-points")));
      }
    }
    if (in_stats > 0) {
      EXPECT_GT(drawn, 0) << field << ": the stats have " << in_stats << " values, none drawn";
    } else {
      EXPECT_LE(drawn, 0) << field << ": drawn without values in the stats";
    }
  }

  // The screenshot: a CI artifact, and what the README shows.
  const std::string png = TINYSERVE_DASHBOARD_SCREENSHOT;
  fs::create_directories(fs::path(png).parent_path());
  fs::remove(png);
  const CommandResult shot = RunChromium(
      *chromium, "--window-size=1400,1600 --screenshot=" + Quote(png), Url());
  ASSERT_EQ(shot.exit_code, 0) << shot.error.substr(0, 4000);
  std::ifstream in(png, std::ios::binary);
  std::string magic(8, '\0');
  in.read(magic.data(), 8);
  EXPECT_EQ(magic, std::string("\x89PNG\r\n\x1a\n", 8)) << png;
  EXPECT_GT(fs::file_size(png), 20000u) << "suspiciously small screenshot " << png;
  std::cout << "dashboard screenshot: " << png << "\n";
}

}  // namespace
}  // namespace tinyserve::testing

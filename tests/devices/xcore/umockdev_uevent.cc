#include "tests/devices/xcore/umockdev_uevent.h"

#include <arpa/inet.h>
#include <glob.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

namespace tinyserve::xcore::testing {
namespace {

// libudev's monitor message header (all fields in network byte order, except
// the offsets and sizes, which are host order).
struct MonitorHeader {
  char prefix[8];
  uint32_t magic;
  uint32_t header_size;
  uint32_t properties_off;
  uint32_t properties_len;
  uint32_t filter_subsystem_hash;
  uint32_t filter_devtype_hash;
  uint32_t filter_tag_bloom_hi;
  uint32_t filter_tag_bloom_lo;
};
constexpr uint32_t kMonitorMagic = 0xfeedcafe;

void AddProperty(std::string& properties, const std::string& key_value) {
  properties += key_value;
  properties.push_back('\0');
}

}  // namespace

uint32_t UdevFilterHash(const std::string& text) {
  constexpr uint32_t kMultiplier = 0x5bd1e995;
  constexpr int kShift = 24;
  uint32_t hash = static_cast<uint32_t>(text.size());
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  size_t left = text.size();
  for (; left >= 4; bytes += 4, left -= 4) {
    uint32_t block;
    std::memcpy(&block, bytes, 4);
    block *= kMultiplier;
    block ^= block >> kShift;
    block *= kMultiplier;
    hash = (hash * kMultiplier) ^ block;
  }
  if (left > 0) {
    if (left >= 3) hash ^= static_cast<uint32_t>(bytes[2]) << 16;
    if (left >= 2) hash ^= static_cast<uint32_t>(bytes[1]) << 8;
    hash ^= bytes[0];
    hash *= kMultiplier;
  }
  hash ^= hash >> 13;
  hash *= kMultiplier;
  hash ^= hash >> 15;
  return hash;
}

int SendUevent(const std::string& root_dir, const std::string& syspath, const std::string& action,
               const std::string& subsystem, const std::string& devtype) {
  static std::atomic<uint64_t> seqnum{1};
  std::string properties;
  AddProperty(properties, "ACTION=" + action);
  AddProperty(properties, "DEVPATH=" + syspath.substr(4));  // without "/sys"
  AddProperty(properties, "SUBSYSTEM=" + subsystem);
  AddProperty(properties, "SEQNUM=" + std::to_string(seqnum.fetch_add(1)));
  std::ifstream uevent(root_dir + syspath + "/uevent");
  std::string line;
  while (std::getline(uevent, line)) {
    if (!line.empty()) AddProperty(properties, line);
  }

  MonitorHeader header{};
  std::memcpy(header.prefix, "libudev", 8);
  header.magic = htonl(kMonitorMagic);
  header.header_size = sizeof(header);
  header.properties_off = sizeof(header);
  header.properties_len = static_cast<uint32_t>(properties.size());
  header.filter_subsystem_hash = htonl(UdevFilterHash(subsystem));
  if (!devtype.empty()) header.filter_devtype_hash = htonl(UdevFilterHash(devtype));

  int delivered = 0;
  glob_t listeners{};
  if (::glob((root_dir + "/event[0-9]*").c_str(), GLOB_NOSORT, nullptr, &listeners) == 0) {
    for (size_t i = 0; i < listeners.gl_pathc; ++i) {
      sockaddr_un address{};
      address.sun_family = AF_UNIX;
      std::strncpy(address.sun_path, listeners.gl_pathv[i], sizeof(address.sun_path) - 1);
      const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
      if (fd < 0) continue;
      iovec parts[2] = {{&header, sizeof(header)}, {properties.data(), properties.size()}};
      msghdr message{};
      message.msg_name = &address;
      message.msg_namelen = sizeof(address);
      message.msg_iov = parts;
      message.msg_iovlen = 2;
      if (::sendmsg(fd, &message, 0) > 0) {
        ++delivered;
      } else if (errno == ECONNREFUSED) {
        ::unlink(listeners.gl_pathv[i]);  // its program closed the monitor
      }
      ::close(fd);
    }
  }
  ::globfree(&listeners);
  return delivered;
}

}  // namespace tinyserve::xcore::testing

#include "devices/device.h"

namespace tinyserve {

const char* DeviceStateName(DeviceState state) {
  switch (state) {
    case DeviceState::kUp:
      return "UP";
    case DeviceState::kDown:
      return "DOWN";
    case DeviceState::kRecovering:
      return "RECOVERING";
  }
  return "UNKNOWN";
}

}  // namespace tinyserve

// Placeholder until the XC op lands.
#include "devices/xs3/xc/xc_lowering.h"

namespace tinyserve::xs3 {
Lowering LowerXcPad(const Model&, const Operator&) { return NotLowered("not implemented yet"); }
}  // namespace tinyserve::xs3

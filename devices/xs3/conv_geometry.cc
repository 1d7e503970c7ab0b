#include "devices/xs3/conv_geometry.h"

#include "devices/xs3/cycle_model.h"

namespace tinyserve::xs3 {

ConvShape MakeConvShape(const WindowGeometry& g, int32_t input_zero_point,
                        ActivationRange act) {
  ConvShape shape;
  shape.geometry = g;
  shape.input_zero_point = static_cast<int8_t>(input_zero_point);
  shape.clamp_output = act.min > -128 || act.max < 127;
  shape.output_range = act;
  return shape;
}

int64_t ConvWorkUnits(const WindowGeometry& g, int channel_groups) {
  const int64_t rows = static_cast<int64_t>(g.batches) * g.out_h;
  return rows >= kMaxThreads ? rows : rows * channel_groups;
}

void ClampOutputs(const ConvShape& shape, int8_t* out, int64_t count, int64_t& scalar_slots) {
  if (!shape.clamp_output) return;
  for (int64_t i = 0; i < count; ++i) out[i] = static_cast<int8_t>(Clamp(out[i], shape.output_range));
  scalar_slots += cost::kFunctionCall + count * cost::kLookupElement;
}

}  // namespace tinyserve::xs3

#include "tests/bench/tflite_c_runner.h"

#include <dlfcn.h>

#include "absl/strings/str_cat.h"

namespace tinyserve::bench {

// The few C API entry points used, as TFLite 2.9's c_api.h declares them. The
// interpreter, model, options and tensor types are opaque pointers here.
struct TfliteCRunner::Api {
  void* handle = nullptr;
  void* (*model_create_from_file)(const char*);
  void (*model_delete)(void*);
  void* (*options_create)();
  void (*options_delete)(void*);
  void (*options_set_num_threads)(void*, int32_t);
  void (*options_add_delegate)(void*, void*);
  void* (*interpreter_create)(const void*, const void*);
  void (*interpreter_delete)(void*);
  int (*allocate_tensors)(void*);
  int (*invoke)(void*);
  void* (*get_input_tensor)(const void*, int32_t);
  size_t (*tensor_byte_size)(const void*);
  void* (*tensor_data)(const void*);
  // TfLiteXNNPackDelegateOptions in TF 2.9: {int32 num_threads; uint32 flags;
  // void* weights_cache} (16 bytes, returned in registers).
  struct XnnOptions {
    int32_t num_threads;
    uint32_t flags;
    void* weights_cache;
  };
  XnnOptions (*xnn_options_default)();
  void* (*xnn_create)(const XnnOptions*);
  void (*xnn_delete)(void*);
};

namespace {
template <typename F>
bool Bind(void* handle, const char* name, F& f) {
  f = reinterpret_cast<F>(dlsym(handle, name));
  return f != nullptr;
}
}  // namespace

absl::StatusOr<std::unique_ptr<TfliteCRunner>> TfliteCRunner::Create(const std::string& library,
                                                                     const std::string& model_path,
                                                                     bool xnnpack) {
  std::unique_ptr<TfliteCRunner> r(new TfliteCRunner());
  r->api_ = std::make_unique<Api>();
  Api& a = *r->api_;
  a.handle = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (a.handle == nullptr) {
    return absl::NotFoundError(absl::StrCat("cannot load ", library, ": ", dlerror()));
  }
  const bool ok =
      Bind(a.handle, "TfLiteModelCreateFromFile", a.model_create_from_file) &&
      Bind(a.handle, "TfLiteModelDelete", a.model_delete) &&
      Bind(a.handle, "TfLiteInterpreterOptionsCreate", a.options_create) &&
      Bind(a.handle, "TfLiteInterpreterOptionsDelete", a.options_delete) &&
      Bind(a.handle, "TfLiteInterpreterOptionsSetNumThreads", a.options_set_num_threads) &&
      Bind(a.handle, "TfLiteInterpreterOptionsAddDelegate", a.options_add_delegate) &&
      Bind(a.handle, "TfLiteInterpreterCreate", a.interpreter_create) &&
      Bind(a.handle, "TfLiteInterpreterDelete", a.interpreter_delete) &&
      Bind(a.handle, "TfLiteInterpreterAllocateTensors", a.allocate_tensors) &&
      Bind(a.handle, "TfLiteInterpreterInvoke", a.invoke) &&
      Bind(a.handle, "TfLiteInterpreterGetInputTensor", a.get_input_tensor) &&
      Bind(a.handle, "TfLiteTensorByteSize", a.tensor_byte_size) &&
      Bind(a.handle, "TfLiteTensorData", a.tensor_data);
  if (!ok) return absl::NotFoundError(absl::StrCat(library, " lacks the TFLite C API"));
  r->model_ = a.model_create_from_file(model_path.c_str());
  if (r->model_ == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("TFLite refused ", model_path));
  }
  r->options_ = a.options_create();
  a.options_set_num_threads(r->options_, 1);
  if (xnnpack) {
    if (!Bind(a.handle, "TfLiteXNNPackDelegateOptionsDefault", a.xnn_options_default) ||
        !Bind(a.handle, "TfLiteXNNPackDelegateCreate", a.xnn_create) ||
        !Bind(a.handle, "TfLiteXNNPackDelegateDelete", a.xnn_delete)) {
      return absl::NotFoundError(absl::StrCat(library, " has no XNNPACK delegate"));
    }
    Api::XnnOptions o = a.xnn_options_default();
    o.num_threads = 1;
    o.flags |= 1u | 2u;  // QS8 and QU8: run quantized operators on XNNPACK too
    r->delegate_ = a.xnn_create(&o);
    a.options_add_delegate(r->options_, r->delegate_);
  }
  r->interpreter_ = a.interpreter_create(r->model_, r->options_);
  if (r->interpreter_ == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("TFLite cannot build an interpreter for ",
                                                   model_path));
  }
  if (a.allocate_tensors(r->interpreter_) != 0) {
    return absl::InternalError("TfLiteInterpreterAllocateTensors failed");
  }
  return r;
}

TfliteCRunner::~TfliteCRunner() {
  if (!api_ || api_->handle == nullptr) return;
  if (interpreter_) api_->interpreter_delete(interpreter_);
  if (delegate_) api_->xnn_delete(delegate_);
  if (options_) api_->options_delete(options_);
  if (model_) api_->model_delete(model_);
  // The library stays loaded: XNNPACK keeps process-wide state.
}

absl::Span<uint8_t> TfliteCRunner::input() {
  void* tensor = api_->get_input_tensor(interpreter_, 0);
  return {static_cast<uint8_t*>(api_->tensor_data(tensor)), api_->tensor_byte_size(tensor)};
}

absl::Status TfliteCRunner::Invoke() {
  if (api_->invoke(interpreter_) != 0) return absl::InternalError("TfLiteInterpreterInvoke failed");
  return absl::OkStatus();
}

}  // namespace tinyserve::bench

//===- ModelImage.h - The compiled model's symbols, as data -----*- C++ -*-===//
//
// What a compiled model object provides (ModelABI.h), gathered in one value
// so the runtime can be handed a model explicitly (tests, several models in
// one process later) instead of reaching for the linked-in symbols.
//
//===----------------------------------------------------------------------===//
#ifndef LMC_RUNTIME_CORE_MODELIMAGE_H
#define LMC_RUNTIME_CORE_MODELIMAGE_H

#include "runtime/ModelABI.h"

#include <cstddef>
#include <cstdint>

namespace lmc::rt {

using ForwardFn = void (*)(lmc_memref_u8_1d *weights, lmc_memref_i32_1d *tokens,
                           int64_t pos, lmc_memref_cache_5d *cache, int64_t nOut,
                           lmc_memref_f32_2d *logits);

struct ModelImage {
  const char *manifest = nullptr;
  size_t manifestSize = 0;
  const uint8_t *tokenizer = nullptr;
  size_t tokenizerSize = 0;
  ForwardFn forward = nullptr;
};

/// The model linked into this program (defined in LinkedModel.cpp, the only
/// file that refers to the model's symbols).
ModelImage linkedModelImage();

} // namespace lmc::rt

#endif // LMC_RUNTIME_CORE_MODELIMAGE_H

//===- LinkedModel.cpp - The symbols of the linked-in model ---------------===//
//
// Kept apart so that only programs that open the linked model need one:
// tests of the rest of the runtime link without a model object.
//
//===----------------------------------------------------------------------===//
#include "runtime/core/ModelImage.h"

lmc::rt::ModelImage lmc::rt::linkedModelImage() {
  ModelImage image;
  image.manifest = lmc_model_manifest;
  image.manifestSize = size_t(lmc_model_manifest_size);
  image.tokenizer = lmc_model_tokenizer;
  image.tokenizerSize = size_t(lmc_model_tokenizer_size);
  image.forward = &_mlir_ciface_lmc_forward;
  return image;
}

//===- TfmDialect.h - tfm dialect declaration -------------------*- C++ -*-===//
#ifndef LMC_DIALECTS_TFM_TFMDIALECT_H
#define LMC_DIALECTS_TFM_TFMDIALECT_H

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Dialect.h"

#include "dialects/tfm/TfmDialect.h.inc"

#endif // LMC_DIALECTS_TFM_TFMDIALECT_H

//===- TfmDialect.cpp - tfm dialect, types and attributes -----------------===//
#include "dialects/tfm/TfmDialect.h"
#include "dialects/tfm/TfmOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

#include <algorithm>
#include <cmath>

using namespace mlir;
using namespace lmc::tfm;

#include "dialects/tfm/TfmDialect.cpp.inc"
#include "dialects/tfm/TfmEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/tfm/TfmAttrs.cpp.inc"

#define GET_TYPEDEF_CLASSES
#include "dialects/tfm/TfmTypes.cpp.inc"

void TfmDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/tfm/TfmOps.cpp.inc"
      >();
  addTypes<
#define GET_TYPEDEF_LIST
#include "dialects/tfm/TfmTypes.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialects/tfm/TfmAttrs.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// Storage formats
//===----------------------------------------------------------------------===//

int64_t lmc::tfm::getBlockElements(StorageType storage) {
  switch (storage) {
  case StorageType::f32:
  case StorageType::f16:
  case StorageType::bf16:
  case StorageType::e4m3:
  case StorageType::e8m0:
    return 1;
  case StorageType::q8_0:
  case StorageType::q4_0:
  case StorageType::mxfp4:
  case StorageType::mxfp4_oai:
    return 32;
  case StorageType::q4_k:
  case StorageType::q6_k:
    return 256;
  }
  llvm_unreachable("unknown storage type");
}

int64_t lmc::tfm::getBlockBytes(StorageType storage) {
  switch (storage) {
  case StorageType::f32:
    return 4;
  case StorageType::f16:
  case StorageType::bf16:
    return 2;
  case StorageType::q8_0:
    return 2 + 32;
  case StorageType::q4_0:
    return 2 + 16;
  case StorageType::q4_k:
    return 2 + 2 + 12 + 128;
  case StorageType::q6_k:
    return 128 + 64 + 16 + 2;
  case StorageType::mxfp4:
    return 1 + 16;
  case StorageType::e4m3:
  case StorageType::e8m0:
    return 1;
  case StorageType::mxfp4_oai:
    return 16;
  }
  llvm_unreachable("unknown storage type");
}

bool lmc::tfm::needsScales(StorageType storage) {
  return storage == StorageType::e4m3 || storage == StorageType::mxfp4_oai;
}

//===----------------------------------------------------------------------===//
// WeightType
//===----------------------------------------------------------------------===//

LogicalResult WeightType::verify(function_ref<InFlightDiagnostic()> emitError,
                                 ArrayRef<int64_t> shape,
                                 StorageType storage) {
  if (shape.empty())
    return emitError() << "weight must have at least one dimension";
  for (int64_t d : shape)
    if (d <= 0)
      return emitError() << "weight dimensions must be positive, got " << d;
  int64_t block = getBlockElements(storage);
  if (shape.back() % block != 0)
    return emitError() << "last weight dimension (" << shape.back()
                       << ") must be a multiple of the " << stringifyStorageType(storage)
                       << " block size (" << block << ")";
  return success();
}

int64_t WeightType::getNumElements() const {
  int64_t n = 1;
  for (int64_t d : getShape())
    n *= d;
  return n;
}

int64_t WeightType::getSizeInBytes() const {
  return getNumElements() / getBlockElements(getStorage()) *
         getBlockBytes(getStorage());
}

Type WeightType::parse(AsmParser &parser) {
  SmallVector<int64_t> shape;
  std::string storageName;
  SMLoc loc = parser.getCurrentLocation();
  if (parser.parseLess() ||
      parser.parseDimensionList(shape, /*allowDynamic=*/false,
                                /*withTrailingX=*/false) ||
      parser.parseComma() || parser.parseKeywordOrString(&storageName) ||
      parser.parseGreater())
    return {};
  std::optional<StorageType> storage = symbolizeStorageType(storageName);
  if (!storage) {
    parser.emitError(loc) << "unknown weight storage format '" << storageName
                          << "'";
    return {};
  }
  return parser.getChecked<WeightType>(loc, parser.getContext(), shape,
                                       *storage);
}

void WeightType::print(AsmPrinter &printer) const {
  printer << '<';
  llvm::interleave(getShape(), printer.getStream(), "x");
  printer << ", " << stringifyStorageType(getStorage()) << '>';
}

//===----------------------------------------------------------------------===//
// KVCacheType
//===----------------------------------------------------------------------===//

LogicalResult KVCacheType::verify(function_ref<InFlightDiagnostic()> emitError,
                                  int64_t layers, int64_t streams,
                                  int64_t heads, int64_t dim,
                                  Type elementType) {
  if (layers <= 0 || streams <= 0 || heads <= 0 || dim <= 0)
    return emitError() << "KV cache dimensions must be positive";
  if (!elementType.isF32() && !elementType.isF16())
    return emitError() << "KV cache elements must be f32 or f16, got " << elementType;
  return success();
}

Type KVCacheType::parse(AsmParser &parser) {
  SmallVector<int64_t> dims;
  Type elementType;
  SMLoc loc = parser.getCurrentLocation();
  if (parser.parseLess() ||
      parser.parseDimensionList(dims, /*allowDynamic=*/false,
                                /*withTrailingX=*/false) ||
      parser.parseComma() || parser.parseType(elementType) ||
      parser.parseGreater())
    return {};
  if (dims.size() != 4) {
    parser.emitError(loc) << "KV cache type needs layers x streams x heads x "
                             "dim, got "
                          << dims.size() << " dimensions";
    return {};
  }
  return parser.getChecked<KVCacheType>(loc, parser.getContext(), dims[0],
                                        dims[1], dims[2], dims[3], elementType);
}

void KVCacheType::print(AsmPrinter &printer) const {
  printer << '<' << getLayers() << 'x' << getStreams() << 'x' << getHeads()
          << 'x' << getDim() << ", " << getElementType() << '>';
}

//===----------------------------------------------------------------------===//
// RopeConfigAttr
//===----------------------------------------------------------------------===//

LogicalResult RopeConfigAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                     int64_t dim, APFloat base,
                                     RopeScaling scaling, APFloat factor,
                                     int64_t originalContext, APFloat betaFast,
                                     APFloat betaSlow) {
  if (dim <= 0 || dim % 2 != 0)
    return emitError() << "rope dim must be positive and even, got " << dim;
  if (!(base.convertToDouble() > 1.0))
    return emitError() << "rope base must be greater than 1";
  if (scaling != RopeScaling::none && !(factor.convertToDouble() > 0.0))
    return emitError() << "rope scaling factor must be positive";
  if (scaling == RopeScaling::yarn) {
    if (originalContext <= 0)
      return emitError() << "yarn scaling needs original_context > 0";
    if (!(betaFast.convertToDouble() > betaSlow.convertToDouble()))
      return emitError() << "yarn scaling needs beta_fast > beta_slow";
  }
  return success();
}

SmallVector<float> RopeConfigAttr::getFrequencies() const {
  int64_t dim = getDim();
  double base = getBase().convertToDouble();
  double factor = getFactor().convertToDouble();
  SmallVector<float> freqs;
  freqs.reserve(dim / 2);

  // YaRN blends interpolated (theta / factor) and extrapolated (theta)
  // frequencies per dimension: fully extrapolated below the correction range
  // [low, high], fully interpolated above it, linear in between. The range
  // comes from the dims whose wavelength fits beta_fast resp. beta_slow
  // rotations into the original context.
  double low = 0, high = 0;
  if (getScaling() == RopeScaling::yarn) {
    double ctx = (double)getOriginalContext();
    auto correctionDim = [&](double rotations) {
      return dim * std::log(ctx / (rotations * 2 * M_PI)) / (2 * std::log(base));
    };
    low = std::max(0.0, std::floor(correctionDim(getBetaFast().convertToDouble())));
    high = std::min(double(dim - 1),
                    std::ceil(correctionDim(getBetaSlow().convertToDouble())));
  }
  for (int64_t i = 0; i < dim / 2; ++i) {
    double theta = std::pow(base, -2.0 * i / dim);
    switch (getScaling()) {
    case RopeScaling::none:
      break;
    case RopeScaling::linear:
      theta /= factor;
      break;
    case RopeScaling::yarn: {
      double ramp = (i - low) / std::max(0.001, high - low);
      double extrapolation = 1.0 - std::clamp(ramp, 0.0, 1.0);
      theta = theta / factor * (1.0 - extrapolation) + theta * extrapolation;
      break;
    }
    }
    freqs.push_back((float)theta);
  }
  return freqs;
}

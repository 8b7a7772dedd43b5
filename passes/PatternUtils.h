//===- PatternUtils.h - small helpers for tfm fusion patterns ---*- C++ -*-===//
#ifndef LMC_PASSES_PATTERNUTILS_H
#define LMC_PASSES_PATTERNUTILS_H

#include "dialects/tfm/TfmOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/TypeSwitch.h"
#include <optional>

namespace lmc {

/// The value of `v` if it is a `tfm.constant`.
inline std::optional<double> getConstantScalar(mlir::Value v) {
  if (auto c = v.getDefiningOp<tfm::ConstantOp>())
    return c.getValue().convertToDouble();
  return std::nullopt;
}

inline llvm::ArrayRef<int64_t> getShape(mlir::Value v) {
  return llvm::cast<mlir::RankedTensorType>(v.getType()).getShape();
}

inline int64_t getRank(mlir::Value v) { return getShape(v).size(); }

/// Calls `fn(a, b)` with the operands of a commutative binary op in both
/// orders; returns true as soon as one call does.
template <typename Fn>
bool matchEitherOrder(mlir::Value lhs, mlir::Value rhs, Fn &&fn) {
  return fn(lhs, rhs) || fn(rhs, lhs);
}

/// Follows `v` back through ops that keep the leading (token) dimension to
/// the value it comes from: a block argument or the ids of an embedding. Two
/// tensors with the same root have the same dynamic leading extent; patterns
/// use this where a primitive op would broadcast but a fused op would not.
mlir::Value getTokenRoot(mlir::Value v);

/// True if `count` is `tensor.dim %x, 0` for an `%x` with `v`'s token root.
bool isTokenCountOf(mlir::Value count, mlir::Value v);

} // namespace lmc

#endif // LMC_PASSES_PATTERNUTILS_H

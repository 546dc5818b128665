import Randomness

@testable import Learning

/// Central finite differences in Float32 against an analytic gradient.
///
/// Tolerance (documented): with ε = 1e-2 on O(1) inputs, the truncation error is O(ε²) and the
/// rounding error of a Float32 loss of size L is about L·6e-8/ε; both stay well below 1e-2 of the
/// largest gradient entry, which is what the checks assert.
struct GradientCheck {
  var epsilon: Float = 1e-2

  /// Returns max |numeric − analytic| / max(max |analytic|, 1e-3) over the checked entries.
  func worstError(
    values: UnsafeMutablePointer<Float>, count: Int, analytic: [Float], entries: [Int]? = nil,
    loss: () -> Double
  ) -> Float {
    let scale = max(analytic.map { abs($0) }.max() ?? 0, 1e-3)
    var worst: Float = 0
    for i in entries ?? Array(0..<count) {
      let saved = values[i]
      values[i] = saved + epsilon
      let plus = loss()
      values[i] = saved - epsilon
      let minus = loss()
      values[i] = saved
      let numeric = Float((plus - minus) / (2 * Double(epsilon)))
      worst = max(worst, abs(numeric - analytic[i]) / scale)
    }
    return worst
  }
}

/// Random values from a stream, for test inputs.
func randomValues(_ count: Int, seed: UInt64, scale: Float = 1) -> [Float] {
  var stream = RandomStream(seed: seed, purpose: .data)
  return (0..<count).map { _ in Float(stream.nextGaussian()) * scale }
}

/// Σ wᵢ·yᵢ in Float64: a scalar loss whose gradient with respect to y is w.
func weightedSum(_ y: UnsafePointer<Float>, _ w: [Float]) -> Double {
  var total = 0.0
  for i in w.indices { total += Double(w[i]) * Double(y[i]) }
  return total
}

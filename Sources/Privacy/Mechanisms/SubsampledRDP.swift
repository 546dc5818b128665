#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Privacy amplification by subsampling for any mechanism with a known RDP curve.
///
/// Wang, Balle, Kasiviswanathan, "Subsampled Rényi differential privacy and analytical moments
/// accountant" (AISTATS 2019), Theorem 9: if M is (j, ε(j))-RDP for every integer j ≥ 2 and the
/// input is a uniformly random subset of γ·m of the m records (sampling without replacement,
/// "replace one record" neighbours), then M ∘ subsample is (α, ε′(α))-RDP at every integer α ≥ 2 with
///
///     ε′(α) ≤ 1/(α−1) · log(1 + γ² C(α,2) min{4(e^{ε(2)} − 1), e^{ε(2)} min{2, (e^{ε(∞)} − 1)²}}
///                           + Σ_{j=3}^{α} γ^j C(α,j) e^{(j−1) ε(j)} min{2, (e^{ε(∞)} − 1)^j}).
///
/// For Gaussian-type mechanisms ε(∞) = ∞, so the inner minima are 2. The result is also capped
/// by ε(α) itself: subsampling never hurts (Rényi divergence is jointly quasi-convex).
public enum SubsampledRDP {
  /// ε′(α) at each integer order 2…`maximumOrder`, from the base curve ε(j) (called for
  /// j = 2…`maximumOrder`), for sampling ratio γ ∈ (0, 1] and a base mechanism with ε(∞) = ∞.
  public static func withoutReplacement(
    samplingRate gamma: Double, maximumOrder: Int = 256, base: (Int) -> Double
  ) throws(AccountantError) -> RDPCurve {
    try AccountantError.requireRate(gamma, name: "sampling rate", allowZero: false)
    guard maximumOrder >= 2 else {
      throw .invalidParameter(name: "maximum order", value: "\(maximumOrder)", expected: "at least 2")
    }
    let baseValues = (0...maximumOrder).map { $0 >= 2 ? base($0) : 0 }
    for (j, value) in baseValues.enumerated() where j >= 2 && !(value >= 0) {
      throw .invalidParameter(name: "base RDP at order \(j)", value: "\(value)", expected: "a non-negative number or +∞")
    }
    if gamma == 1 {
      return RDPCurve(uncheckedOrders: (2...maximumOrder).map(Double.init), values: Array(baseValues[2...]))
    }
    let logGamma = log(gamma)
    // log of the j = 2 factor: min{log 4 + log(e^{ε(2)} − 1), log 2 + ε(2)}.
    let e2 = baseValues[2]
    let logSecond = min(log(4.0) + (e2 > 30 ? e2 + log1p(-exp(-e2)) : log(expm1(e2))), log(2.0) + e2)
    var orders: [Double] = [], values: [Double] = []
    for alpha in 2...maximumOrder {
      var logBinomial = log(Double(alpha) * Double(alpha - 1) / 2)  // log C(α, 2)
      var logSum = 2 * logGamma + logBinomial + logSecond
      if alpha >= 3 {
        for j in 3...alpha {
          logBinomial += log(Double(alpha - j + 1) / Double(j))
          let term = log(2.0) + Double(j) * logGamma + logBinomial + Double(j - 1) * baseValues[j]
          logSum = LogSpace.add(logSum, term)
        }
      }
      let amplified = LogSpace.onePlusExp(logSum) / Double(alpha - 1)
      orders.append(Double(alpha))
      values.append(min(amplified, baseValues[alpha]))
    }
    return RDPCurve(uncheckedOrders: orders, values: values)
  }
}

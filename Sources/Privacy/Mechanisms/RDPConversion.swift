#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// From Rényi DP to (ε, δ)-DP.
public enum RDPConversion {
  /// The improved conversion of Balle, Barthe, Gaboardi, Hsu, Sato ("Hypothesis testing
  /// interpretations and Rényi differential privacy", AISTATS 2020, Theorem 21) and Canonne,
  /// Kamath, Steinke ("The discrete Gaussian for differential privacy", NeurIPS 2020, Prop. 12):
  ///
  ///     ε = min_α  rdp(α) + log((α − 1)/α) − (log δ + log α)/(α − 1),
  ///
  /// as dp-accounting's `compute_epsilon` applies it: an order whose RDP r satisfies
  /// δ² + e^{−r} − 1 > 0 gives ε = 0 (the KL bound δ ≤ √(1 − e^{−KL})); orders α ≤ 1.01 are
  /// skipped (the bound is numerically unstable there); the result is clamped at 0.
  ///
  /// - Throws: `.invalidParameter` for δ outside (0, 1), mismatched lists, an order ≤ 1 or a
  ///   negative value.
  public static func epsilon(orders: [Double], rdp: [Double], delta: Double) throws(AccountantError) -> PrivacyLoss {
    try check(orders: orders, rdp: rdp, delta: delta)
    var best = (epsilon: Double.infinity, order: orders[0])
    for (order, r) in zip(orders, rdp) {
      let candidate: Double
      if delta * delta + expm1(-r) > 0 {
        candidate = 0
      } else if order > 1.01 {
        candidate = r + log1p(-1 / order) - (log(delta) + log(order)) / (order - 1)
      } else {
        candidate = .infinity
      }
      if candidate < best.epsilon { best = (candidate, order) }
    }
    return PrivacyLoss(epsilon: max(0, best.epsilon), delta: delta, order: best.order)
  }

  /// The classic conversion of Mironov ("Rényi differential privacy", CSF 2017, Prop. 3):
  /// ε = min_α rdp(α) + ln(1/δ)/(α − 1).
  public static func classicEpsilon(orders: [Double], rdp: [Double], delta: Double) throws(AccountantError) -> PrivacyLoss {
    try check(orders: orders, rdp: rdp, delta: delta)
    let logInverseDelta = -log(delta)
    var best = (epsilon: Double.infinity, order: orders[0])
    for (order, r) in zip(orders, rdp) {
      let candidate = r + logInverseDelta / (order - 1)
      if candidate < best.epsilon { best = (candidate, order) }
    }
    return PrivacyLoss(epsilon: best.epsilon, delta: delta, order: best.order)
  }

  private static func check(orders: [Double], rdp: [Double], delta: Double) throws(AccountantError) {
    try AccountantError.requireProbability(delta, name: "delta")
    _ = try RDPCurve(orders: orders, values: rdp)
  }
}
